/** A named Float32Array with its shape (row-major): how networks, optimisers and checkpoints pass tensors around. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}
