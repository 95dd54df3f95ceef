/**
 * Dropout and SpatialDropout1D at inference.
 *
 * @module
 */
import type { Tensor } from "./tensor.ts";

/**
 * Dropout or SpatialDropout1D at inference: returns `x` itself.
 *
 * Why: tfjs 4.22 `Dropout.call` (`tfjs-layers/src/layers/core.ts`) runs
 * `K.inTrainPhase(() => K.dropout(...), () => input, training)`, and
 * `predict` calls layers with `training` unset, which counts as false. The
 * inverted dropout of tfjs scales the kept units by `1 / (1 - rate)` while
 * training, so nothing needs rescaling here. SpatialDropout1D only overrides
 * the noise shape (`[batch, 1, channels]`), so the same holds. Both layers
 * pass the incoming mask through unchanged.
 *
 * @param x any shape, e.g. `[batch, time, channels]`.
 * @returns `x`, not a copy.
 */
export function dropout(x: Tensor): Tensor {
  return x;
}
