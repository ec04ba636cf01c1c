/** Errors specific to replay: a transition that cannot be stored as given. */
import { RxgymError } from '../core/errors.js';

/**
 * A transition handed to a buffer has the wrong shape or a non-finite value (obs length, NaN reward,
 * non-integer discrete action, ...). Nothing is stored when this is thrown.
 */
export class InvalidTransition extends RxgymError {
  constructor(message: string) {
    super('INVALID_TRANSITION', message);
  }
}
