/**
 * A dense float32 array with a shape: the only array type `@mipjs/data` hands out.
 *
 * Data never touches TF.js (design §3), so batches are plain typed arrays in row-major (C) order that
 * an application turns into tensors with `tf.tensor(data, shape)` without copying or reordering.
 */
export interface TensorData {
  data: Float32Array;
  shape: number[];
}

/** Number of elements of a shape (1 for a scalar shape `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Builds a {@link TensorData}, checking that the element count matches the shape. */
export function tensorData(data: Float32Array, shape: readonly number[]): TensorData {
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new RangeError(`tensorData: shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`);
  }
  return { data, shape: [...shape] };
}

/** Width of one time step: the product of all axes after the first (time) axis. */
export function featureSize(shape: readonly number[]): number {
  return sizeOf(shape.slice(1));
}
