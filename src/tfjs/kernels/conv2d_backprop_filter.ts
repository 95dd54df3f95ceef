/**
 * `Conv2DBackpropFilter` (the gradient of a 2-D convolution with respect to
 * its filter) for the TensorFlow.js `wasm` backend, which lacks it in 4.22
 * (tensorflow/tfjs issue 8474), so `tf.grad` of any `conv2d` fails there.
 *
 * The filter gradient is itself a convolution. For a forward convolution with
 * stride `s`, zero padding `(top, left)` and no dilation:
 *
 *     dW[i, j, c, o] = sum over b, y, x of
 *                      xPadded[b, y*s + i, x*s + j, c] * dy[b, y, x, o]
 *
 * Read `c` as the batch axis, `b` as the input-channel axis and `dy` as a
 * filter `[outHeight, outWidth, batch, outChannels]` whose taps are `s` apart:
 * that is a stride-1 `valid` convolution with dilation `s` of
 * `xPadded` transposed to `[inChannels, height, width, batch]`, giving
 * `[inChannels, kh, kw, outChannels]`, transposed to the filter layout
 * `[kh, kw, inChannels, outChannels]`. The wasm `Conv2D` (XNNPACK) supports
 * dilation, so the whole gradient runs in compiled code.
 *
 * The reference semantics are the cpu kernel,
 * tfjs-backend-cpu/src/kernels/Conv2DBackpropFilter.ts, which sums the same
 * products with the pads read from `backend_util.computeConv2DInfo`.
 *
 * @module
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Intermediates, runWasmKernel } from "./compose.ts";

const WHERE = "Conv2DBackpropFilter (wasm, src/tfjs/kernels)";

/**
 * Computes the filter gradient of an NHWC convolution.
 *
 * Inputs: `x` `[batch, height, width, inChannels]` (the forward input) and
 * `dy` `[batch, outHeight, outWidth, outChannels]` (the gradient of the
 * forward output). Attrs as for the tfjs op: `strides`, `pad` (`'same'`,
 * `'valid'`, a number or explicit NHWC pads), `dataFormat`,
 * `dimRoundingMode`, `filterShape` `[kh, kw, inChannels, outChannels]`.
 * Returns the gradient `[kh, kw, inChannels, outChannels]`, float32.
 *
 * @throws Error for `dataFormat: 'NCHW'`, or shapes that disagree with the
 *   forward convolution that `filterShape`, `strides` and `pad` describe.
 */
export function conv2dBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error(
      `${WHERE}: dataFormat '${attrs.dataFormat}' is not supported, ` +
        `expected 'NHWC'`,
    );
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  checkShapes(x, dy, info);

  const temps = new Intermediates(backend);
  try {
    const xPadded = padForConv(x, info, backend, temps);
    // [inChannels, height, width, batch]: the batch axis becomes channels.
    const xT = temps.keep(runWasmKernel(backend, "Transpose", {
      x: xPadded,
    }, { perm: [3, 1, 2, 0] }));
    // [outHeight, outWidth, batch, outChannels]: dy becomes the filter.
    const dyT = temps.keep(runWasmKernel(backend, "Transpose", { x: dy }, {
      perm: [1, 2, 0, 3],
    }));
    const conv = temps.keep(runWasmKernel(backend, "Conv2D", {
      x: xT,
      filter: dyT,
    }, {
      strides: [1, 1],
      pad: "valid",
      dataFormat: "NHWC",
      dilations: [info.strideHeight, info.strideWidth],
    }));
    const cropped = cropToFilter(conv, info, backend, temps);
    return runWasmKernel(backend, "Transpose", { x: cropped }, {
      perm: [1, 2, 0, 3],
    });
  } finally {
    temps.disposeAll();
  }
}

/** Checks `x` and `dy` against the forward convolution `info` describes. */
function checkShapes(
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): void {
  const expected = [
    info.batchSize,
    info.outHeight,
    info.outWidth,
    info.outChannels,
  ];
  if (dy.shape.join() !== expected.join()) {
    throw new Error(
      `${WHERE}: dy has shape [${dy.shape}], expected [${expected}] for ` +
        `x [${x.shape}] and filter [${info.filterShape}]`,
    );
  }
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new Error(
      `${WHERE}: x and dy must be float32, got ${x.dtype} and ${dy.dtype}`,
    );
  }
}

/**
 * Pads `x` `[batch, height, width, inChannels]` at top/left as the forward
 * convolution did, and at bottom/right only as far as the last output row
 * and column reach (rows beyond them never meet a filter tap).
 */
function padForConv(
  x: TensorInfo,
  info: backend_util.Conv2DInfo,
  backend: BackendWasm,
  temps: Intermediates,
): TensorInfo {
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, reach(info, "height") - top - info.inHeight);
  const right = Math.max(0, reach(info, "width") - left - info.inWidth);
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  return temps.keep(runWasmKernel(backend, "PadV2", { x }, {
    paddings: [[0, 0], [top, bottom], [left, right], [0, 0]],
    constantValue: 0,
  }));
}

/** Rows (or columns) of padded input that the forward convolution reads. */
function reach(info: backend_util.Conv2DInfo, axis: "height" | "width") {
  return axis === "height"
    ? (info.outHeight - 1) * info.strideHeight + info.filterHeight
    : (info.outWidth - 1) * info.strideWidth + info.filterWidth;
}

/**
 * The dilated convolution yields `[inChannels, h', w', outChannels]` with
 * `h' >= kh`; extra rows appear when the input had more rows than the
 * forward convolution read. Keeps the first `kh` rows and `kw` columns.
 */
function cropToFilter(
  conv: TensorInfo,
  info: backend_util.Conv2DInfo,
  backend: BackendWasm,
  temps: Intermediates,
): TensorInfo {
  const [cin, h, w, cout] = conv.shape as [number, number, number, number];
  if (h < info.filterHeight || w < info.filterWidth) {
    throw new Error(
      `${WHERE}: internal error, the dilated convolution gave ` +
        `[${conv.shape}], smaller than the filter [${info.filterShape}]`,
    );
  }
  if (h === info.filterHeight && w === info.filterWidth) return conv;
  return temps.keep(runWasmKernel(backend, "Slice", { x: conv }, {
    begin: [0, 0, 0, 0],
    size: [cin, info.filterHeight, info.filterWidth, cout],
  }));
}

/** Registration record for `tf.registerKernel`. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: conv2dBackpropFilterWasm as unknown as KernelFunc,
};
