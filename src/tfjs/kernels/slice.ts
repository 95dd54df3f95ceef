/**
 * Faster `Slice`, `Unpack` and `SplitV` for the TensorFlow.js `wasm`
 * backend.
 *
 * The wasm `Slice` kernel starts with `backend.readSync(x.dataId)`, which
 * copies the whole input out of the wasm heap (tfjs-backend-wasm/src/
 * kernels/Slice.ts and `BackendWasm.readSync`), and `Unpack` and `SplitV`
 * call it once per output. Unstacking a `[time, batch, features]` sequence
 * for a recurrent layer thus copies the full sequence once per time step:
 * 80 copies of 1.3 MB per LSTM direction and step in the project's text
 * model. These versions read the input through a view of the heap instead
 * and copy only the slice, one contiguous run at a time.
 *
 * String tensors go to the original kernels.
 *
 * @module
 */
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  slice_util,
  type SliceAttrs,
  type SplitVAttrs,
  type TensorInfo,
  type UnpackAttrs,
  util,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** The argument of a kernel function, as the registry types it. */
type KernelArgs = Parameters<KernelFunc>[0];

/**
 * Copies the block of `x` that starts at `begin` and spans `size` into a new
 * tensor of shape `size` (both with one entry per axis of `x`).
 */
export function sliceHeap(
  x: TensorInfo,
  begin: readonly number[],
  size: readonly number[],
  backend: BackendWasm,
): TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  if (util.sizeFromShape([...size]) === 0) return out;
  // Views are taken after makeOutput: growing the heap detaches old views.
  const xVals = backend.typedArrayFromHeap(x);
  const outVals = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = [...util.computeStrides(x.shape), 1];

  // Axes after `axis` are taken whole, so axes axis..rank-1 form one
  // contiguous run of `run` values in x.
  let axis = rank - 1;
  let run = size[axis] ?? 1;
  while (axis > 0 && size[axis] === x.shape[axis]) {
    axis--;
    run *= size[axis]!;
  }
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d]! * strides[d]!;

  const outer = size.slice(0, Math.max(axis, 0));
  const index = outer.map(() => 0);
  const runs = util.sizeFromShape(outer);
  for (let r = 0, outPos = 0; r < runs; r++, outPos += run) {
    let offset = base;
    for (let d = 0; d < index.length; d++) offset += index[d]! * strides[d]!;
    outVals.set(xVals.subarray(offset, offset + run), outPos);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d]! < outer[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/** Replaces the wasm `Slice` config `original` (kept for strings). */
export function fastSliceConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo };
    backend: BackendWasm;
    attrs: SliceAttrs;
  }): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    if (x.dtype === "string") {
      return original.kernelFunc(args as unknown as KernelArgs) as TensorInfo;
    }
    const [begin, size] = slice_util.parseSliceParams(
      x,
      attrs.begin,
      attrs.size,
    ) as [number[], number[]];
    return sliceHeap(x, begin, size, backend);
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** Replaces the wasm `Unpack` config `original` (kept for strings). */
export function fastUnpackConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { value: TensorInfo };
    backend: BackendWasm;
    attrs: UnpackAttrs;
  }): TensorInfo[] => {
    const { inputs: { value }, backend, attrs } = args;
    if (value.dtype === "string") {
      return original.kernelFunc(args as unknown as KernelArgs) as TensorInfo[];
    }
    const rank = value.shape.length;
    const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
    const outShape = value.shape.filter((_, d) => d !== axis);
    const size = value.shape.map((n, d) => d === axis ? 1 : n);
    const outs: TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]!; i++) {
      const begin = value.shape.map((_, d) => d === axis ? i : 0);
      const piece = sliceHeap(value, begin, size, backend);
      outs.push({ dataId: piece.dataId, dtype: piece.dtype, shape: outShape });
    }
    return outs;
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** Replaces the wasm `SplitV` config `original` (kept for strings). */
export function fastSplitVConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo };
    backend: BackendWasm;
    attrs: SplitVAttrs;
  }): TensorInfo[] => {
    const { inputs: { x }, backend, attrs } = args;
    if (x.dtype === "string") {
      return original.kernelFunc(args as unknown as KernelArgs) as TensorInfo[];
    }
    const axis = util.parseAxisParam(attrs.axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(
      x as unknown as Parameters<typeof backend_util.prepareSplitSize>[0],
      attrs.numOrSizeSplits,
      axis,
    );
    const begin = x.shape.map(() => 0);
    return sizes.map((n) => {
      const size = x.shape.map((d, a) => a === axis ? n : d);
      const piece = sliceHeap(x, begin, size, backend);
      begin[axis]! += n;
      return piece;
    });
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}
