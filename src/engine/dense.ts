/**
 * Dense (fully connected) layer.
 *
 * @module
 */
import { applyActivation } from "./activations.ts";
import { matmul } from "./matmul.ts";
import {
  expectRank,
  formatShape,
  sizeOf,
  type Tensor,
  tensor,
} from "./tensor.ts";

/**
 * `activation(x · kernel + bias)` over the last axis.
 *
 * An input of rank above 2 is treated as rows of its last axis, as
 * tfjs-layers `Dense.call` does (it applies `K.dot`, which contracts the
 * last axis of x with the first of the kernel), so `[batch, time, in]` gives
 * `[batch, time, units]`.
 *
 * @param x `[batch, ..., in]`.
 * @param kernel `[in, units]`.
 * @param bias `[units]`, or undefined when the layer has `use_bias: false`.
 * @param activation activation name as saved (`relu`, `softmax`, ...).
 * @returns `[batch, ..., units]`.
 * @throws {RangeError} if the kernel or bias shape does not match.
 */
export function dense(
  x: Tensor,
  kernel: Tensor,
  bias: Tensor | undefined,
  activation: string,
): Tensor {
  const [inDim, units] = expectRank(kernel, 2, "dense kernel") as number[];
  const lastDim = x.shape[x.shape.length - 1];
  if (x.shape.length < 2 || lastDim !== inDim) {
    throw new RangeError(
      `dense: input ${formatShape(x.shape)} does not end in ${inDim}, the ` +
        `first axis of kernel ${formatShape(kernel.shape)}`,
    );
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== units)) {
    throw new RangeError(
      `dense: bias ${formatShape(bias.shape)} does not match [${units}]`,
    );
  }

  const outShape = [...x.shape.slice(0, -1), units!];
  const rows = sizeOf(x.shape.slice(0, -1));
  const out = tensor(outShape);
  if (bias) {
    for (let r = 0; r < rows; r++) out.data.set(bias.data, r * units!);
  }
  matmul(
    x.data,
    kernel.data,
    out.data,
    rows,
    inDim!,
    units!,
    bias !== undefined,
  );

  applyActivation(activation, out.data, 0, out.data.length, units!);
  return out;
}
