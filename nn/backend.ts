/**
 * Chooses the TensorFlow.js backend. Order for 'auto': native TensorFlow through `@tensorflow/tfjs-node` if it
 * loads, else `@tensorflow/tfjs-backend-wasm` (SIMD in Node, no threads), else tfjs's pure-JS cpu backend.
 * The env var RXGYM_BACKEND overrides 'auto' (not an explicit preference) where there is a `process` (Node).
 * Browser-safe: the native backend is a computed dynamic import, tried only when asked for or under 'auto'.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig, RxgymError, describeValue } from '../core/errors.js';

/** A tfjs backend rxgym knows how to load. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** What `initBackend()` settled on; `simd`/`threads` are null where the question does not apply (not wasm). */
export interface BackendInfo {
  name: BackendName;
  simd: boolean | null;
  threads: boolean | null;
  tfjsVersion: string;
  nodeBindings: boolean;
}

/** The requested backend could not be loaded; `available` lists those that can. */
export class BackendUnavailable extends RxgymError {
  readonly requested: BackendName;
  readonly available: BackendName[];
  constructor(requested: BackendName, available: BackendName[], options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? ` (${options.cause.message.split('\n')[0]})` : '';
    super(
      'BACKEND_UNAVAILABLE',
      `Expected backend '${requested}' to load, got an error${reason}. Available here: ${available.join(', ')}. ` +
        `Pick one of those (--backend or RXGYM_BACKEND), or install ${packageOf(requested)}.`,
      options,
    );
    this.requested = requested;
    this.available = available;
  }
}

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

function packageOf(name: BackendName): string {
  if (name === 'tensorflow') return '@tensorflow/tfjs-node';
  if (name === 'wasm') return '@tensorflow/tfjs-backend-wasm';
  return '@tensorflow/tfjs';
}

// One load attempt per backend per process: a failed native import is not retried (and not re-logged).
const loads = new Map<BackendName, Promise<unknown>>();

async function load(name: BackendName): Promise<void> {
  let p = loads.get(name);
  if (!p) {
    p = (async () => {
      if (name === 'tensorflow') {
        // A computed specifier keeps tsc from requiring the optional package; a broken install throws here.
        const spec = ['@tensorflow', 'tfjs-node'].join('/');
        await import(spec);
      } else if (name === 'wasm') {
        await import('@tensorflow/tfjs-backend-wasm');
      }
      if (!(name in tf.engine().registryFactory)) throw new Error(`the package loaded but did not register '${name}'`);
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error(`tf.setBackend('${name}') failed to initialise`);
      await tf.ready();
    })();
    loads.set(name, p);
  }
  await p;
}

async function available(): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const b of BACKENDS) {
    try {
      await load(b);
      out.push(b);
    } catch {
      // not available: listed by omission
    }
  }
  return out;
}

function checkPreference(p: unknown, what: string): 'auto' | BackendName {
  if (p === 'auto' || p === 'tensorflow' || p === 'wasm' || p === 'cpu') return p;
  throw new InvalidConfig(`Expected ${what} to be one of 'auto', 'tensorflow', 'wasm', 'cpu', got ${describeValue(p)}.`);
}

/**
 * Loads and activates a tfjs backend and reports which. 'auto' (overridable by RXGYM_BACKEND) tries tensorflow,
 * wasm, cpu in that order; an explicit name that does not load throws `BackendUnavailable`.
 */
export async function initBackend(preference: 'auto' | BackendName = 'auto'): Promise<BackendInfo> {
  let pref = checkPreference(preference, 'backend');
  // Browser-safe: no `process` outside Node.
  const fromEnv = typeof process !== 'undefined' ? process.env['RXGYM_BACKEND'] : undefined;
  if (pref === 'auto' && fromEnv !== undefined && fromEnv !== '') pref = checkPreference(fromEnv, 'RXGYM_BACKEND');
  const order: BackendName[] = pref === 'auto' ? [...BACKENDS] : [pref];
  let chosen: BackendName | null = null;
  let lastError: unknown;
  for (const b of order) {
    try {
      await load(b);
      chosen = b;
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (chosen === null) {
    throw new BackendUnavailable(order[0]!, await available(), { cause: lastError });
  }
  // Loading other candidates may have switched the active backend; make the chosen one current.
  if (tf.getBackend() !== chosen) await tf.setBackend(chosen);
  selected = chosen;
  return backendInfo();
}

let selected: BackendName | null = null;

/** The backend the last `initBackend()` activated, or null when it has not run in this process. */
export function selectedBackend(): BackendName | null {
  return selected;
}

/** Describes the currently active tfjs backend (after `initBackend()`; before it, tfjs's own default). */
export async function backendInfo(): Promise<BackendInfo> {
  await tf.ready();
  const name = tf.getBackend() as BackendName;
  let simd: boolean | null = null;
  let threads: boolean | null = null;
  if (name === 'wasm') {
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  }
  return { name, simd, threads, tfjsVersion: tf.version_core, nodeBindings: name === 'tensorflow' };
}

/** One log line, e.g. "tfjs 4.22.0 on wasm (SIMD on, threads off)". */
export function describeBackend(info: BackendInfo): string {
  const head = `tfjs ${info.tfjsVersion} on ${info.name}`;
  if (info.name === 'wasm') {
    const flag = (v: boolean | null) => (v === null ? 'unknown' : v ? 'on' : 'off');
    return `${head} (SIMD ${flag(info.simd)}, threads ${flag(info.threads)})`;
  }
  if (info.name === 'tensorflow') return `${head} (native TensorFlow through tfjs-node)`;
  return `${head} (pure JavaScript)`;
}
