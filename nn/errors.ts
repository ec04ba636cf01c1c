/** Errors of the network layer (besides core's `InvalidConfig` for bad specs and arguments). */
import { RxgymError } from '../core/errors.js';

/** Parameters or optimiser state handed to a network do not fit it: a wrong tensor name, shape or size. */
export class IncompatibleState extends RxgymError {
  /** The tensor that does not match (its name in the state). */
  readonly tensor: string;
  constructor(tensor: string, message: string) {
    super('INCOMPATIBLE_STATE', message);
    this.tensor = tensor;
  }
}
