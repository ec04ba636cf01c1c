/**
 * Turns the file-system errors a user causes (an output path that is a file, a folder they cannot write) into
 * one-line typed errors, instead of ENOTDIR/EACCES stack traces. Other errors pass through unchanged.
 */
import { InvalidConfig } from '../../errors.js';

// What each user-fixable error code means, as the "got ..." part of the message.
const REASONS: Record<string, { expected: string; got: string }> = {
  ENOTDIR: { expected: 'a folder', got: 'a file in the way' },
  EEXIST: { expected: 'a folder', got: 'a file in the way' },
  EISDIR: { expected: 'a file', got: 'a folder' },
  EACCES: { expected: 'writable', got: 'permission denied' },
  EPERM: { expected: 'writable', got: 'permission denied' },
  EROFS: { expected: 'writable', got: 'a read-only file system' },
};

/** The error's `code` (ENOENT, EACCES, ...) when it is a Node system error, else undefined. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Rethrows `err` as `InvalidConfig` reading "Expected <what> at <path> to be writable (or a folder), got <reason>
 * (<code>). <fix>" when it is a user-fixable file-system error; otherwise rethrows it as is.
 */
export function rethrowFsError(err: unknown, what: string, path: string, fix = 'Choose another folder (--out).'): never {
  const code = errnoCode(err);
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason === undefined) throw err;
  throw new InvalidConfig(`Expected ${what} at ${path} to be ${reason.expected}, got ${reason.got} (${code}). ${fix}`);
}

/** Runs `fn`, mapping user-fixable file-system errors through `rethrowFsError`. */
export async function withFsErrors<T>(what: string, path: string, fn: () => Promise<T>, fix?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    rethrowFsError(err, what, path, fix);
  }
}
