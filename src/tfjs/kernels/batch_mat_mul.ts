/**
 * A faster `BatchMatMul` for the TensorFlow.js `wasm` backend when an operand
 * is transposed.
 *
 * The wasm kernel hands a product to XNNPACK only when neither operand is
 * transposed and both have a batch of one; every other case runs a blocked
 * scalar triple loop (tfjs-backend-wasm/src/cc/batch_mat_mul_impl.cc,
 * `batchMatMul` choosing between `xnn_matmul` and `slow_batch_matmul`).
 * Back-propagation through a dense or recurrent layer multiplies by
 * transposed weights and activations (`dx = dy W^T`, `dW = x^T dy`), so a
 * training step lands almost entirely on the slow loop: in a bidirectional
 * LSTM step it took about half of the time.
 *
 * This kernel transposes such operands explicitly (the wasm `Transpose`
 * kernel is a cheap copy) and calls the original kernel without transposes,
 * which then takes the XNNPACK path. Batched products (batch above one) are
 * left to the original kernel.
 *
 * @module
 */
import {
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Intermediates, runWasmKernel } from "./compose.ts";

/** The argument of a kernel function, as the registry types it. */
type KernelArgs = Parameters<KernelFunc>[0];

/** Product of the leading (batch) dimensions of a matrix operand. */
function batchOf(info: TensorInfo): number {
  return info.shape.slice(0, -2).reduce((a, b) => a * b, 1);
}

/** Swaps the last two axes of a matrix operand `[...batch, rows, cols]`. */
function transposeLastTwo(
  info: TensorInfo,
  backend: BackendWasm,
  temps: Intermediates,
): TensorInfo {
  const rank = info.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return temps.keep(runWasmKernel(backend, "Transpose", { x: info }, { perm }));
}

/**
 * Wraps the wasm backend's own `BatchMatMul` config `original`. The result
 * keeps `original`'s setup function, which binds the compiled kernel when
 * the backend starts.
 *
 * Inputs `a` `[...batch, m, k]` (or `[..., k, m]` with `transposeA`) and `b`
 * `[...batch, k, n]` (or `[..., n, k]` with `transposeB`); returns
 * `[...batch, m, n]`, float32.
 */
export function fastBatchMatMulConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: BackendWasm;
    attrs: BatchMatMulAttrs;
  }): TensorInfo => {
    const { inputs: { a, b }, backend, attrs } = args;
    const { transposeA, transposeB } = attrs;
    const untouched = (!transposeA && !transposeB) ||
      batchOf(a) !== 1 || batchOf(b) !== 1;
    if (untouched) {
      return original.kernelFunc(args as unknown as KernelArgs) as TensorInfo;
    }

    const temps = new Intermediates(backend);
    try {
      const aPlain = transposeA ? transposeLastTwo(a, backend, temps) : a;
      const bPlain = transposeB ? transposeLastTwo(b, backend, temps) : b;
      return original.kernelFunc({
        inputs: { a: aPlain, b: bPlain },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      } as unknown as KernelArgs) as TensorInfo;
    } finally {
      temps.disposeAll();
    }
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}
