/**
 * The engine's one data type: a dense float32 array with a row-major shape.
 *
 * Every layer function takes and returns `Tensor`s. Integer inputs (token ids
 * for an Embedding layer) travel as float32 too; ids up to 2^24 are exact.
 *
 * @module
 */

/** A dense row-major tensor. `data.length` equals the product of `shape`. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Number of elements a shape holds (1 for a scalar shape `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Builds a tensor, checking that the data fits the shape.
 *
 * @throws {RangeError} if a dimension is not a non-negative integer or the
 *   data length differs from the product of the shape.
 */
export function tensor(
  shape: readonly number[],
  data: Float32Array = new Float32Array(sizeOf(shape)),
): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`invalid shape [${shape.join(", ")}]`);
    }
  }
  const expected = sizeOf(shape);
  if (data.length !== expected) {
    throw new RangeError(
      `data of length ${data.length} does not fit shape ` +
        `[${shape.join(", ")}] (${expected} elements)`,
    );
  }
  return { shape: [...shape], data };
}

/** Formats a shape as `[a, b, c]` for error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Checks that `t` has the given rank, returning its shape.
 *
 * @throws {RangeError} naming `what` when the rank differs.
 */
export function expectRank(
  t: Tensor,
  rank: number,
  what: string,
): readonly number[] {
  if (t.shape.length !== rank) {
    throw new RangeError(
      `${what} expects a rank-${rank} input, got ${formatShape(t.shape)}`,
    );
  }
  return t.shape;
}
