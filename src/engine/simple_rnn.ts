/**
 * SimpleRNN forward pass: the cell below, run over time by `recurrent.ts`.
 *
 * The loop follows TensorFlow.js 4.22 `rnn()` in
 * `tfjs-layers/src/backend/tfjs_backend.ts` (shipped in
 * `tfjs-layers/dist/layers/recurrent.js`):
 *
 * - the input is made time-major and, with `go_backwards`, reversed in time
 *   together with its mask before the loop starts;
 * - at a masked step the new output and states are blended with the old ones,
 *   `new * mask + old * (1 - mask)`, so the state is carried forward and the
 *   output repeats the previous state (`states[0]`, which is `h`): zeros
 *   before the first real token;
 * - per-step outputs are stacked in processing order, so with
 *   `go_backwards` the returned sequence is NOT reversed back.
 *
 * Unlike tfjs, which multiplies the input by the kernel inside every step,
 * the input projection of all steps is one `matmul` before the loop, and only
 * the recurrent product runs per step. The bias is added to that projection,
 * so the float32 sums are grouped differently from tfjs (a few ulps).
 *
 * @module
 */
import { applyActivation } from "./activations.ts";
import {
  type CellStep,
  checkActivation,
  checkRecurrent,
  type RecurrentState,
  type RecurrentWeights,
  runRecurrence,
} from "./recurrent.ts";
import type { Tensor } from "./tensor.ts";

export type { RecurrentWeights } from "./recurrent.ts";

/** Options of a saved SimpleRNN layer the forward pass depends on. */
export interface SimpleRnnConfig {
  /** Size of the hidden state, `units` in the saved config. */
  readonly units: number;
  /** Activation of the new state, as saved (`tanh`, `relu`, ...). */
  readonly activation: string;
  /** Whether the layer has a bias (`use_bias`). */
  readonly useBias: boolean;
  /** Return every step `[batch, time, units]`, or the last `[batch, units]`. */
  readonly returnSequences: boolean;
  /** Process the sequence from its last step to its first. */
  readonly goBackwards: boolean;
}

/**
 * SimpleRNN: `h_t = activation(x_t · kernel + h_{t-1} · recurrentKernel +
 * bias)`, as tfjs `SimpleRNNCell.call`.
 *
 * @param x input `[batch, time, features]`.
 * @param w kernel `[features, units]`, recurrentKernel `[units, units]`,
 *   bias `[units]` when `config.useBias`.
 * @param mask optional `[batch * time]` row-major, 1 = real step, 0 = padding
 *   (from `maskFromIds`).
 * @returns `[batch, time, units]` with `returnSequences`, else
 *   `[batch, units]`.
 * @throws {RangeError} on a shape that does not match the config.
 * @throws {Error} on an unknown activation.
 */
export function simpleRnn(
  x: Tensor,
  w: RecurrentWeights,
  config: SimpleRnnConfig,
  mask?: Uint8Array,
): Tensor {
  const dims = checkRecurrent("SimpleRNN", x, w, config, 1, mask);
  checkActivation("SimpleRNN", "activation", config.activation);
  const units = dims.units;
  const activation = config.activation;
  const step: CellStep = (z, _prev, next, batch) =>
    simpleRnnCell(z, next, batch, units, activation);
  return runRecurrence(x, w, config, dims, step, mask);
}

/**
 * The SimpleRNN cell over a batch: `next.h = activation(z)`; `z` is
 * `[batch, units]`.
 */
function simpleRnnCell(
  z: Float32Array,
  next: RecurrentState,
  batch: number,
  units: number,
  activation: string,
): void {
  const n = batch * units;
  applyActivation(activation, z, 0, n, units);
  for (let i = 0; i < n; i++) next.h[i] = z[i]!;
}
