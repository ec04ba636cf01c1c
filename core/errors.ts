/**
 * rxgym's typed errors. Every message reads "Expected X, got Y" and, where there is one, says what to do.
 * Catch by class (`err instanceof InvalidAction`) or by the stable `code` string.
 */

/** Base class of every error rxgym throws on purpose. */
export class RxgymError extends Error {
  /** A stable, machine-readable name such as `INVALID_ACTION`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** `make()` or `spec()` was given an id that is not registered. */
export class UnregisteredEnv extends RxgymError {
  constructor(message: string) {
    super('UNREGISTERED_ENV', message);
  }
}

/** An id was registered twice, or a registration is malformed. */
export class RegistrationError extends RxgymError {
  constructor(message: string) {
    super('REGISTRATION_ERROR', message);
  }
}

/** An action is not inside the environment's action space. */
export class InvalidAction extends RxgymError {
  constructor(message: string) {
    super('INVALID_ACTION', message);
  }
}

/** An environment produced an observation, reward or flag that breaks its contract (wrong shape, NaN, ...). */
export class InvalidObservation extends RxgymError {
  constructor(message: string) {
    super('INVALID_OBSERVATION', message);
  }
}

/** `step()` was called before `reset()`, or after the episode ended without a new `reset()`. */
export class ResetNeeded extends RxgymError {
  constructor(message: string) {
    super('RESET_NEEDED', message);
  }
}

/** A space was constructed with inconsistent arguments, or a value does not fit a space. */
export class InvalidSpace extends RxgymError {
  constructor(message: string) {
    super('INVALID_SPACE', message);
  }
}

/** A configuration object (agent, wrapper, env kwargs) holds a value outside its documented form. */
/** An environment's own reset() or step() failed; the message names the env and the method, `cause` holds the error. */
export class EnvFailed extends RxgymError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENV_FAILED', message, options);
  }
}

export class InvalidConfig extends RxgymError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** A model was asked to sample, score or predict before `fit()` (or its loader) trained it. */
export class NotFitted extends RxgymError {
  constructor(message: string) {
    super('NOT_FITTED', message);
  }
}

/** A file (checkpoint, recording, run folder) is missing, truncated or corrupt. */
export class CorruptFile extends RxgymError {
  /** The file that could not be read. */
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('CORRUPT_FILE', message, options);
    this.path = path;
  }
}

/** A custom environment failed a conformance check (see `checkEnv`). */
export class EnvCheckFailed extends RxgymError {
  constructor(message: string) {
    super('ENV_CHECK_FAILED', message);
  }
}

/** Short, readable rendering of any value for error messages (arrays are cut after 8 elements). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number>;
    const head = Array.from({ length: Math.min(arr.length, 8) }, (_, i) => describeValue(arr[i]));
    const more = arr.length > 8 ? `, ... ${arr.length - 8} more` : '';
    return `${value.constructor.name}(${arr.length}) [${head.join(', ')}${more}]`;
  }
  if (Array.isArray(value)) {
    const head = value.slice(0, 8).map(describeValue);
    const more = value.length > 8 ? `, ... ${value.length - 8} more` : '';
    return `[${head.join(', ')}${more}]`;
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  try {
    const json = JSON.stringify(value);
    return json.length > 120 ? `${json.slice(0, 117)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
