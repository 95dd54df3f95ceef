/**
 * Model-ready splits: the training loop asks a split for the input tensor of
 * any set of rows, so CIFAR-10 stays as compact bytes until a batch needs it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** One split (train, validation or test) as the training loop sees it. */
export interface SplitData {
  n: number;
  /** Class index of every row. */
  labels: Int32Array;
  /** The model input for `rows`, e.g. `[rows, 32, 32, 3]` float32. */
  inputs(rows: ArrayLike<number>): tf.Tensor;
}

export interface PreparedData {
  train: SplitData;
  val: SplitData;
  test: SplitData;
  classNames: readonly string[];
}

/**
 * A split of images stored as raw NHWC bytes `[n, h, w, c]`, scaled to [0, 1]
 * float32 one batch at a time.
 */
export function imageSplit(
  x: Uint8Array,
  labels: Int32Array,
  shape: readonly [number, number, number],
): SplitData {
  const [h, w, c] = shape;
  const size = h * w * c;
  return {
    n: labels.length,
    labels,
    inputs(rows) {
      const out = new Float32Array(rows.length * size);
      for (let r = 0; r < rows.length; r++) {
        const from = rows[r]! * size;
        for (let i = 0; i < size; i++) out[r * size + i] = x[from + i]! / 255;
      }
      return tf.tensor4d(out, [rows.length, h, w, c]);
    },
  };
}

/** A split of token-id sequences `[n, length]` (int32). */
export function sequenceSplit(
  ids: Int32Array,
  labels: Int32Array,
  length: number,
): SplitData {
  return {
    n: labels.length,
    labels,
    inputs(rows) {
      const out = new Int32Array(rows.length * length);
      for (let r = 0; r < rows.length; r++) {
        out.set(
          ids.subarray(rows[r]! * length, (rows[r]! + 1) * length),
          r * length,
        );
      }
      return tf.tensor2d(out, [rows.length, length], "int32");
    },
  };
}

/** Rows `[start, end)` as an index list. */
export function range(start: number, end: number): Int32Array {
  const out = new Int32Array(Math.max(0, end - start));
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}
