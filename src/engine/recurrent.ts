/**
 * The time loop SimpleRNN and LSTM share, and the checks of their inputs and
 * weights. A layer supplies only its per-step cell (`CellStep`).
 *
 * The loop follows TensorFlow.js 4.22 `rnn()` in
 * `tfjs-layers/src/backend/tfjs_backend.ts`: the input is made time-major
 * and, with `go_backwards`, reversed in time together with its mask; a
 * masked step carries the state forward and repeats the previous output;
 * outputs are stacked in processing order. The input projection of all steps
 * is one `matmul` before the loop; only the recurrent product runs per step.
 *
 * @module
 */
import { activationNames } from "./activations.ts";
import { matmul } from "./matmul.ts";
import { formatShape, sizeOf, type Tensor, tensor } from "./tensor.ts";
import type { SimpleRnnConfig } from "./simple_rnn.ts";

/**
 * Weights of a recurrent layer, named as in the saved model. `gates` is 1 for
 * SimpleRNN and 4 for LSTM.
 */
export interface RecurrentWeights {
  /** `[features, gates * units]` */
  readonly kernel: Tensor;
  /** `[units, gates * units]` */
  readonly recurrentKernel: Tensor;
  /** `[gates * units]`; present exactly when the config has `useBias`. */
  readonly bias?: Tensor;
}

/**
 * Recurrent state of a whole batch at one step, each `[batch, units]`
 * row-major. `c` is the LSTM carry; SimpleRNN leaves it untouched.
 */
export interface RecurrentState {
  h: Float32Array;
  c: Float32Array;
}

/**
 * One step of a recurrent cell over the whole batch.
 *
 * `z` is `[batch, gates * units]` and already holds input projection + bias +
 * recurrent product; the cell may overwrite it. It reads `prev` and writes
 * every row of `next`; the loop then restores masked rows.
 */
export type CellStep = (
  z: Float32Array,
  prev: RecurrentState,
  next: RecurrentState,
  batch: number,
) => void;

/** The shape facts of a recurrent call, checked by `checkRecurrent`. */
export interface RecurrentDims {
  readonly batch: number;
  readonly time: number;
  readonly features: number;
  readonly units: number;
  /** Columns of the kernels: `gates * units`. */
  readonly width: number;
}

/**
 * Runs `step` over time with the masking and direction rules of tfjs
 * `rnn()` (see the module comment). Shared by SimpleRNN and LSTM.
 *
 * @param x input `[batch, time, features]`, checked by `checkRecurrent`.
 * @param mask optional `[batch * time]`, 1 = real step.
 * @returns `[batch, time, units]` in processing order with
 *   `returnSequences`, else the last state `h` as `[batch, units]`.
 */
export function runRecurrence(
  x: Tensor,
  w: RecurrentWeights,
  config: Pick<SimpleRnnConfig, "returnSequences" | "goBackwards">,
  dims: RecurrentDims,
  step: CellStep,
  mask?: Uint8Array,
): Tensor {
  const { batch, time, units, width } = dims;
  const projected = projectInputs(x, w, dims, config.goBackwards);
  const stepMask = mask && timeMajorMask(mask, batch, time, config.goBackwards);
  // One view per step, made once per call: the recurrent product accumulates
  // straight into the projection of that step.
  const stepZ: Float32Array[] = [];
  for (let s = 0; s < time; s++) {
    stepZ.push(projected.subarray(s * batch * width, (s + 1) * batch * width));
  }
  let prev = newState(batch * units);
  let next = newState(batch * units);
  const out = new Float32Array(
    config.returnSequences ? batch * time * units : batch * units,
  );

  for (let s = 0; s < time; s++) {
    const z = stepZ[s]!;
    matmul(prev.h, w.recurrentKernel.data, z, batch, units, width, true);
    step(z, prev, next, batch);
    if (stepMask) keepMaskedRows(stepMask, s * batch, prev, next, units);
    const done = next;
    next = prev;
    prev = done;
    if (config.returnSequences) writeStep(prev.h, out, s, time, units);
  }

  if (config.returnSequences) return tensor([batch, time, units], out);
  out.set(prev.h);
  return tensor([batch, units], out);
}

/**
 * Input projection of every step at once, time-major in processing order:
 * `[time * batch, width]` where row `s * batch + b` is
 * `x[b, t(s)] · kernel + bias`, `t(s) = goBackwards ? time - 1 - s : s`.
 */
function projectInputs(
  x: Tensor,
  w: RecurrentWeights,
  dims: RecurrentDims,
  goBackwards: boolean,
): Float32Array {
  const { batch, time, features, width } = dims;
  const rows = time * batch;
  const inputs = new Float32Array(rows * features);
  for (let s = 0; s < time; s++) {
    const t = goBackwards ? time - 1 - s : s;
    for (let b = 0; b < batch; b++) {
      const from = (b * time + t) * features;
      const to = (s * batch + b) * features;
      for (let f = 0; f < features; f++) inputs[to + f] = x.data[from + f]!;
    }
  }

  const projected = new Float32Array(rows * width);
  const bias = w.bias?.data;
  if (bias) {
    for (let r = 0; r < rows; r++) projected.set(bias, r * width);
  }
  matmul(inputs, w.kernel.data, projected, rows, features, width, !!bias);
  return projected;
}

/** The `[batch * time]` mask reordered to `[time * batch]` processing order. */
function timeMajorMask(
  mask: Uint8Array,
  batch: number,
  time: number,
  goBackwards: boolean,
): Uint8Array {
  const out = new Uint8Array(time * batch);
  for (let s = 0; s < time; s++) {
    const t = goBackwards ? time - 1 - s : s;
    for (let b = 0; b < batch; b++) out[s * batch + b] = mask[b * time + t]!;
  }
  return out;
}

/** Copies the rows of `prev` into `next` where this step is masked out. */
function keepMaskedRows(
  stepMask: Uint8Array,
  offset: number,
  prev: RecurrentState,
  next: RecurrentState,
  units: number,
): void {
  const batch = prev.h.length / units;
  for (let b = 0; b < batch; b++) {
    if (stepMask[offset + b] !== 0) continue;
    const row = b * units;
    for (let u = row; u < row + units; u++) {
      next.h[u] = prev.h[u]!;
      next.c[u] = prev.c[u]!;
    }
  }
}

/** Writes `h` `[batch, units]` into step `s` of `[batch, time, units]`. */
function writeStep(
  h: Float32Array,
  out: Float32Array,
  s: number,
  time: number,
  units: number,
): void {
  const batch = h.length / units;
  for (let b = 0; b < batch; b++) {
    const from = b * units;
    const to = (b * time + s) * units;
    for (let u = 0; u < units; u++) out[to + u] = h[from + u]!;
  }
}

function newState(size: number): RecurrentState {
  return { h: new Float32Array(size), c: new Float32Array(size) };
}

/**
 * Validates a recurrent call at the entry: input rank and data length,
 * `units`, kernel `[features, gates * units]`, recurrent kernel
 * `[units, gates * units]`, bias `[gates * units]` exactly when `useBias`,
 * and a mask of `batch * time` entries.
 *
 * @param layer class name for messages (`"LSTM"`).
 * @throws {RangeError} naming the layer, the field and both shapes.
 */
export function checkRecurrent(
  layer: string,
  x: Tensor,
  w: RecurrentWeights,
  config: Pick<SimpleRnnConfig, "units" | "useBias">,
  gates: number,
  mask?: Uint8Array,
): RecurrentDims {
  checkData(layer, "input", x);
  if (x.shape.length !== 3) {
    throw new RangeError(
      `${layer}: input must be [batch, time, features], got ` +
        formatShape(x.shape),
    );
  }
  const [batch, time, features] = x.shape as [number, number, number];
  if (time < 1) {
    throw new RangeError(`${layer}: input has no time steps (time = 0)`);
  }
  const units = config.units;
  if (!Number.isInteger(units) || units < 1) {
    throw new RangeError(
      `${layer}: units must be a positive integer, got ${units}`,
    );
  }
  const width = gates * units;
  checkWeight(layer, "kernel", w.kernel, [features, width]);
  checkWeight(layer, "recurrentKernel", w.recurrentKernel, [units, width]);
  if (config.useBias && !w.bias) {
    throw new RangeError(`${layer}: useBias is true but no bias was given`);
  }
  if (!config.useBias && w.bias) {
    throw new RangeError(
      `${layer}: useBias is false but a bias ${formatShape(w.bias.shape)} ` +
        "was given",
    );
  }
  if (w.bias) checkWeight(layer, "bias", w.bias, [width]);
  if (mask && mask.length !== batch * time) {
    throw new RangeError(
      `${layer}: mask has ${mask.length} entries, expected batch * time = ` +
        `${batch * time} for input ${formatShape(x.shape)}`,
    );
  }
  return { batch, time, features, units, width };
}

/**
 * Checks that `name` is an activation the engine knows, before any compute.
 *
 * @param field config field for the message (`"recurrentActivation"`).
 * @throws {Error} naming the layer, the field and the value.
 */
export function checkActivation(
  layer: string,
  field: string,
  name: string,
): void {
  const known = activationNames();
  if (known.includes(name)) return;
  throw new Error(
    `${layer}: unsupported ${field} "${name}" (known: ${known.join(", ")})`,
  );
}

function checkData(layer: string, what: string, t: Tensor): void {
  if (t.data.length === sizeOf(t.shape)) return;
  throw new RangeError(
    `${layer}: ${what} data has ${t.data.length} values, shape ` +
      `${formatShape(t.shape)} needs ${sizeOf(t.shape)}`,
  );
}

function checkWeight(
  layer: string,
  name: string,
  t: Tensor,
  expected: readonly number[],
): void {
  checkData(layer, name, t);
  const same = t.shape.length === expected.length &&
    t.shape.every((d, i) => d === expected[i]);
  if (same) return;
  throw new RangeError(
    `${layer}: ${name} has shape ${formatShape(t.shape)}, expected ` +
      formatShape(expected),
  );
}
