import type { Tensor } from './tensor.js';

/** SparseTensorProto: `values` at `indices` of a dense tensor of shape `dims`. Kept as read. */
export interface SparseTensor {
  values: Tensor;
  indices: Tensor;
  dims: number[];
}
