/**
 * Helpers for kernels that the project adds to the TensorFlow.js `wasm`
 * backend by composing kernels the backend already has.
 *
 * A kernel function receives and returns `TensorInfo`s (a data id plus shape
 * and dtype), not `Tensor`s. Calling the backend's own kernel functions keeps
 * everything at that level: nothing is recorded on the gradient tape and
 * nothing passes through the engine's tensor bookkeeping, so the only duty is
 * to free each intermediate with `backend.disposeData` (which decrements the
 * data's reference count; `Reshape` shares its input's data and raises the
 * count, so disposing its output is also correct). This is how the wasm
 * backend's own composite kernels work, e.g. `BatchMatMul` in
 * tfjs-backend-wasm/src/kernels/BatchMatMul.ts disposes its reshaped inputs.
 *
 * @module
 */
import {
  getKernel,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Runs the `wasm` backend's kernel `kernelName` directly (not through the
 * engine) and returns its single output.
 *
 * @throws Error when the wasm backend has no such kernel, or it returns more
 *   than one output.
 */
export function runWasmKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = getKernel(kernelName, "wasm");
  if (config === undefined) {
    throw new Error(
      `src/tfjs/kernels: the wasm backend has no kernel '${kernelName}'`,
    );
  }
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) {
    throw new Error(
      `src/tfjs/kernels: wasm kernel '${kernelName}' returned ` +
        `${out.length} outputs, expected one`,
    );
  }
  return out;
}

/**
 * Collects intermediate `TensorInfo`s of a composite kernel so that they can
 * all be freed in one `finally`, whatever step throws.
 */
export class Intermediates {
  readonly #backend: BackendWasm;
  readonly #held: TensorInfo[] = [];

  /** @param backend the wasm backend that owns the data. */
  constructor(backend: BackendWasm) {
    this.#backend = backend;
  }

  /** Registers `info` for disposal and returns it. */
  keep(info: TensorInfo): TensorInfo {
    this.#held.push(info);
    return info;
  }

  /** Frees every registered intermediate (one reference each). */
  disposeAll(): void {
    for (const info of this.#held) this.#backend.disposeData(info.dataId);
    this.#held.length = 0;
  }
}
