/**
 * One place that sets TensorFlow.js up for this project: imports the
 * backends, adds the training kernels the `wasm` backend lacks, selects the
 * backend and waits until it is ready.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { conv2dBackpropFilterConfig } from "./kernels/conv2d_backprop_filter.ts";
import { unsortedSegmentSumConfig } from "./kernels/unsorted_segment_sum.ts";
import { fastBatchMatMulConfig } from "./kernels/batch_mat_mul.ts";
import { fastConv2dBackpropInputConfig } from "./kernels/conv2d_backprop_input.ts";
import {
  fastSliceConfig,
  fastSplitVConfig,
  fastUnpackConfig,
} from "./kernels/slice.ts";

/** The backends the project trains and predicts on. */
export type BackendName = "wasm" | "cpu";

/** Kernels this project adds to the `wasm` backend. */
const WASM_KERNELS = [conv2dBackpropFilterConfig, unsortedSegmentSumConfig];

/**
 * Faster replacements for wasm kernels that training leans on, each built
 * from the original config (see the files in ./kernels for the reasons).
 */
const WASM_OVERRIDES: Record<string, (o: tf.KernelConfig) => tf.KernelConfig> =
  {
    BatchMatMul: fastBatchMatMulConfig,
    Conv2DBackpropInput: fastConv2dBackpropInputConfig,
    Slice: fastSliceConfig,
    SplitV: fastSplitVConfig,
    Unpack: fastUnpackConfig,
  };

/** Kernel functions installed by `registerWasmKernels`, to stay idempotent. */
const installed = new WeakSet<tf.KernelFunc>();

/**
 * Arguments to spread into `model.fit` so that it does not pause for the
 * event loop: its default `yieldEvery: 'auto'` waits for a frame every
 * 125 ms (tfjs-layers/src/base_callbacks.ts, DEFAULT_YIELD_EVERY_MS), which a
 * script with nothing else to run does not need.
 */
export const NO_YIELD = { yieldEvery: "never" } as const;

/**
 * Registers the project's `wasm` kernels and replaces `BatchMatMul`,
 * `Conv2DBackpropInput`, `Slice`, `SplitV` and `Unpack` with faster
 * versions. Safe to call more than
 * once: a kernel already registered (by an earlier call, or by a later tfjs
 * release that ships its own) is left alone, since `tf.registerKernel` would
 * only warn and keep the first, and a replacement is never wrapped twice.
 */
export function registerWasmKernels(): void {
  for (const config of WASM_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) {
      tf.registerKernel(config);
    }
  }
  for (const [name, makeConfig] of Object.entries(WASM_OVERRIDES)) {
    const original = tf.getKernel(name, "wasm");
    if (original === undefined || installed.has(original.kernelFunc)) continue;
    const replacement = makeConfig(original);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(replacement);
    installed.add(replacement.kernelFunc);
  }
}

/**
 * Selects the TensorFlow.js backend `name` (default `wasm`), after adding the
 * project's kernels, and resolves once it is ready.
 *
 * The wasm backend runs on one thread: multithreading is switched off here
 * because tfjs's threaded build cannot start its workers in Deno
 * (`ERR_WORKER_PATH`); parallelism comes from running several processes.
 *
 * @returns the name of the active backend.
 * @throws Error when the backend cannot be initialised.
 */
export async function initBackend(
  name: BackendName = "wasm",
): Promise<BackendName> {
  if (name !== "wasm" && name !== "cpu") {
    throw new Error(
      `src/tfjs/backend.ts: unknown backend '${name}', expected 'wasm' or ` +
        `'cpu'`,
    );
  }
  // PROD only silences tfjs's console warnings (tfjs-core/src/log.ts), such
  // as the cpu backend's "install tfjs-node" banner: the library stays quiet
  // and only the pipeline logs.
  tf.env().set("PROD", true);
  if (name === "wasm") {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    registerWasmKernels();
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(
      `src/tfjs/backend.ts: could not initialise the '${name}' backend ` +
        `(active: '${tf.getBackend()}')`,
    );
  }
  return name;
}
