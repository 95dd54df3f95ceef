/**
 * Flatten: keeps the batch axis and joins the rest in row-major order.
 *
 * With channels-last inputs this is exactly tfjs-layers `Flatten` (its
 * `channels_first` form transposes first; the loader rejects that option).
 *
 * @module
 */
import { sizeOf, type Tensor, tensor } from "./tensor.ts";

/**
 * Reshapes `[batch, d1, d2, ...]` to `[batch, d1 * d2 * ...]` without copying.
 *
 * @throws {RangeError} if the input has rank below 2.
 */
export function flatten(x: Tensor): Tensor {
  if (x.shape.length < 2) {
    throw new RangeError(
      `flatten expects an input of rank 2 or more, got [${x.shape.join(", ")}]`,
    );
  }
  const batch = x.shape[0]!;
  return tensor([batch, sizeOf(x.shape.slice(1))], x.data);
}
