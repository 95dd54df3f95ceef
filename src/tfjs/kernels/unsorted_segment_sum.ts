/**
 * `UnsortedSegmentSum` for the TensorFlow.js `wasm` backend, which lacks it
 * in 4.22 (tensorflow/tfjs issue 8082). The gradient of `gather` (and so of
 * every `Embedding` layer) calls it, see
 * tfjs-core/src/gradients/GatherV2_grad.ts.
 *
 * `out[k, ...] = sum of x[i, ...] over i with segmentIds[i] == k` is exactly
 * `ScatterNd` with `indices = segmentIds` as `[n, 1]`, because ScatterNd adds
 * the updates of repeated indices (tfjs-backend-wasm/src/cc/scatter_impl.cc
 * accumulates with `+=` when called for ScatterNd; the tests check it).
 *
 * Ids outside `[0, numSegments)` contribute nothing, as in the cpu kernel
 * (tfjs-backend-cpu/src/kernels/UnsortedSegmentSum.ts compares each id with
 * `0 .. numSegments - 1`) and in TensorFlow, which drops negative ids.
 * ScatterNd would write out of bounds for them, so they are sent to one
 * extra segment that is sliced off afterwards.
 *
 * @module
 */
import {
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Intermediates, runWasmKernel } from "./compose.ts";

const WHERE = "UnsortedSegmentSum (wasm, src/tfjs/kernels)";

/**
 * Sums the rows of `x` into segments.
 *
 * Inputs: `x` `[...idShape, ...rest]` and `segmentIds` `idShape` (int32;
 * `idShape` is a prefix of `x`'s shape, usually `[n]`). Attr `numSegments`.
 * Returns `[numSegments, ...rest]` in `x`'s dtype.
 *
 * @throws Error when `segmentIds`' shape is not a prefix of `x`'s, or
 *   `numSegments` is not a non-negative integer.
 */
export function unsortedSegmentSumWasm(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: BackendWasm;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { inputs: { x, segmentIds }, backend, attrs } = args;
  const { numSegments } = attrs;
  const n = checkInputs(x, segmentIds, numSegments);
  const rest = x.shape.slice(segmentIds.shape.length);

  const temps = new Intermediates(backend);
  try {
    const ids = readIds(segmentIds, backend);
    const outOfRange = ids.some((id) => id < 0 || id >= numSegments);
    // One spare segment collects the ids that must be dropped.
    const segments = outOfRange ? numSegments + 1 : numSegments;
    const indices = outOfRange
      ? temps.keep(backend.makeOutput(
        [n, 1],
        "int32",
        undefined,
        ids.map((id) => id < 0 || id >= numSegments ? numSegments : id),
      ))
      : temps.keep(runWasmKernel(backend, "Reshape", { x: segmentIds }, {
        shape: [n, 1],
      }));
    const updates = temps.keep(runWasmKernel(backend, "Reshape", { x }, {
      shape: [n, ...rest],
    }));
    const summed = runWasmKernel(backend, "ScatterNd", { indices, updates }, {
      shape: [segments, ...rest],
    });
    if (!outOfRange) return summed;
    temps.keep(summed);
    return runWasmKernel(backend, "Slice", { x: summed }, {
      begin: summed.shape.map(() => 0),
      size: [numSegments, ...rest],
    });
  } finally {
    temps.disposeAll();
  }
}

/** Validates the inputs and returns the number of ids. */
function checkInputs(
  x: TensorInfo,
  segmentIds: TensorInfo,
  numSegments: number,
): number {
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(
      `${WHERE}: numSegments must be a non-negative integer, got ` +
        `${numSegments}`,
    );
  }
  const idShape = segmentIds.shape;
  const isPrefix = idShape.length <= x.shape.length &&
    idShape.every((d, axis) => d === x.shape[axis]);
  if (!isPrefix) {
    throw new Error(
      `${WHERE}: segmentIds shape [${idShape}] must be a prefix of x's ` +
        `shape [${x.shape}]`,
    );
  }
  return idShape.reduce((a, b) => a * b, 1);
}

/** The ids as int32 values (the op casts them to int32 before the kernel). */
function readIds(segmentIds: TensorInfo, backend: BackendWasm): Int32Array {
  if (segmentIds.dtype !== "int32") {
    throw new Error(
      `${WHERE}: segmentIds must be int32, got ${segmentIds.dtype}`,
    );
  }
  return backend.readSync(segmentIds.dataId) as Int32Array;
}

/** Registration record for `tf.registerKernel`. */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: "wasm",
  kernelFunc: unsortedSegmentSumWasm as unknown as KernelFunc,
};
