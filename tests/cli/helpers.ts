/** Shared pieces of the CLI tests: an in-memory output stream and a tiny DQN config that trains in a second. */
import { Writable } from 'node:stream';

/** A writable that keeps what was written; `text()` returns it. */
export function sink(): Writable & { text: () => string; isTTY?: boolean } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

/** `--set` pairs for a DQN small and quick enough for tests (not for learning). */
export const TINY_DQN = ['learningStarts=200', 'batchSize=16', 'hidden=[16]', 'trainFreq=8', 'bufferSize=5000', 'logInterval=500'];
