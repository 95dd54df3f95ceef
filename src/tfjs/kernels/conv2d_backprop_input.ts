/**
 * A faster `Conv2DBackpropInput` (the gradient of a 2-D convolution with
 * respect to its input) for the TensorFlow.js `wasm` backend.
 *
 * The wasm kernel is a scalar loop nest
 * (tfjs-backend-wasm/src/cc/kernels/Conv2DBackpropInput.cc); in a training
 * step of a three-layer CNN it took more than half of the time. The same
 * gradient is a forward convolution, which the wasm backend runs through
 * XNNPACK: with `dyDilated` holding `dy[b, y, x, o]` at row `y * strideH`
 * and column `x * strideW` and zeros between,
 *
 *     dx[b, r, c, i] = sum over p, q, o of
 *                      dyDilated[b, r + top - p, c + left - q, o] *
 *                      filter[p, q, i, o]
 *
 * which is a stride-1 `valid` convolution of `dyDilated` padded by
 * `kh - 1 - top` above (and what completes `height + kh - 1` rows below)
 * with the filter flipped in both spatial axes and transposed to
 * `[kh, kw, outChannels, inChannels]`.
 *
 * Cases this does not cover (NCHW, a forward pad larger than `k - 1`) go to
 * the original kernel.
 *
 * @module
 */
import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Intermediates, runWasmKernel } from "./compose.ts";

/** The argument of a kernel function, as the registry types it. */
type KernelArgs = Parameters<KernelFunc>[0];

/**
 * Wraps the wasm backend's own `Conv2DBackpropInput` config `original`
 * (kept for the cases above, and for its setup function).
 *
 * Inputs `dy` `[batch, outHeight, outWidth, outChannels]` and `filter`
 * `[kh, kw, inChannels, outChannels]`; attr `inputShape`
 * `[batch, height, width, inChannels]`. Returns `dx` of `inputShape`.
 */
export function fastConv2dBackpropInputConfig(
  original: KernelConfig,
): KernelConfig {
  const kernelFunc = (args: {
    inputs: { dy: TensorInfo; filter: TensorInfo };
    backend: BackendWasm;
    attrs: Conv2DBackpropInputAttrs;
  }): TensorInfo => {
    const { inputs: { dy, filter }, backend, attrs } = args;
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const covered = (attrs.dataFormat ?? "NHWC") === "NHWC" &&
      info.padInfo.top <= info.filterHeight - 1 &&
      info.padInfo.left <= info.filterWidth - 1;
    if (!covered) {
      return original.kernelFunc(args as unknown as KernelArgs) as TensorInfo;
    }

    const temps = new Intermediates(backend);
    try {
      const dyPadded = padDilated(dy, info, backend, temps);
      const flipped = temps.keep(runWasmKernel(backend, "Reverse", {
        x: filter,
      }, { dims: [0, 1] }));
      const filterT = temps.keep(runWasmKernel(backend, "Transpose", {
        x: flipped,
      }, { perm: [0, 1, 3, 2] }));
      return runWasmKernel(
        backend,
        "Conv2D",
        { x: dyPadded, filter: filterT },
        {
          strides: [1, 1],
          pad: "valid",
          dataFormat: "NHWC",
          dilations: [1, 1],
        },
      );
    } finally {
      temps.disposeAll();
    }
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/**
 * Spreads `dy` `[batch, outHeight, outWidth, outChannels]` out by the
 * strides (zeros between) and pads it so that a `valid` stride-1
 * convolution with a `[kh, kw]` filter gives `[height, width]`.
 */
function padDilated(
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  backend: BackendWasm,
  temps: Intermediates,
): TensorInfo {
  const { strideHeight: sh, strideWidth: sw } = info;
  const [batch, oh, ow, cout] = dy.shape as [number, number, number, number];
  let spread = dy;
  if (sh > 1 || sw > 1) {
    // [b, oh, 1, ow, 1, c] padded to [b, oh, sh, ow, sw, c] puts each value
    // at the top-left of an sh x sw block of zeros.
    const six = temps.keep(runWasmKernel(backend, "Reshape", { x: dy }, {
      shape: [batch, oh, 1, ow, 1, cout],
    }));
    const padded = temps.keep(runWasmKernel(backend, "PadV2", { x: six }, {
      paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
      constantValue: 0,
    }));
    spread = temps.keep(runWasmKernel(backend, "Reshape", { x: padded }, {
      shape: [batch, oh * sh, ow * sw, cout],
    }));
  }
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  const rows = info.inHeight + info.filterHeight - 1;
  const cols = info.inWidth + info.filterWidth - 1;
  // Trailing rows of the spread may hold only zeros past what is needed.
  const keepRows = Math.min(spread.shape[1]!, rows - top);
  const keepCols = Math.min(spread.shape[2]!, cols - left);
  if (keepRows < spread.shape[1]! || keepCols < spread.shape[2]!) {
    spread = temps.keep(runWasmKernel(backend, "Slice", { x: spread }, {
      begin: [0, 0, 0, 0],
      size: [batch, keepRows, keepCols, cout],
    }));
  }
  const bottom = rows - top - keepRows;
  const right = cols - left - keepCols;
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return spread;
  return temps.keep(runWasmKernel(backend, "PadV2", { x: spread }, {
    paddings: [[0, 0], [top, bottom], [left, right], [0, 0]],
    constantValue: 0,
  }));
}
