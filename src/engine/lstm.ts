/**
 * LSTM forward pass, following TensorFlow.js 4.22 `LSTMCell.call`
 * (`tfjs-layers/src/layers/recurrent.ts`), which always runs Keras
 * "implementation 2": one product `z = x · kernel + h · recurrentKernel +
 * bias` of width `4 * units`, split into the gates in the order below.
 *
 * @module
 */
import { applyActivation } from "./activations.ts";
import {
  checkActivation,
  checkRecurrent,
  type RecurrentState,
  type RecurrentWeights,
  runRecurrence,
} from "./recurrent.ts";
import type { SimpleRnnConfig } from "./simple_rnn.ts";
import type { Tensor } from "./tensor.ts";

/**
 * Order of the gates along the last axis of `kernel`, `recurrentKernel` and
 * `bias`: input, forget, cell candidate, output (tfjs splits `z` into
 * `z0..z3` and reads them as i, f, c, o).
 */
export const LSTM_GATES = ["input", "forget", "cell", "output"] as const;

const INPUT = LSTM_GATES.indexOf("input");
const FORGET = LSTM_GATES.indexOf("forget");
const CELL = LSTM_GATES.indexOf("cell");
const OUTPUT = LSTM_GATES.indexOf("output");

/** Options of a saved LSTM layer the forward pass depends on. */
export interface LstmConfig extends SimpleRnnConfig {
  /**
   * Activation of the input, forget and output gates, as saved. tfjs
   * defaults to `hard_sigmoid` (`clip(0.2 x + 0.5, 0, 1)`), Keras 3 to
   * `sigmoid`; always pass what the config says.
   */
  readonly recurrentActivation: string;
}

/**
 * LSTM over a batch of sequences:
 * `i, f, o = recurrentActivation(z_i, z_f, z_o)`,
 * `c_t = f * c_{t-1} + i * activation(z_c)`, `h_t = o * activation(c_t)`.
 *
 * @param x input `[batch, time, features]`.
 * @param w kernel `[features, 4 * units]`, recurrentKernel
 *   `[units, 4 * units]`, bias `[4 * units]` when `config.useBias`; gates
 *   in `LSTM_GATES` order.
 * @param mask optional `[batch * time]` row-major, 1 = real step, 0 =
 *   padding; a masked step carries `h` and `c` forward.
 * @returns `[batch, time, units]` with `returnSequences`, else
 *   `[batch, units]`.
 * @throws {RangeError} on a shape that does not match the config.
 * @throws {Error} on an unknown activation or recurrent activation.
 */
export function lstm(
  x: Tensor,
  w: RecurrentWeights,
  config: LstmConfig,
  mask?: Uint8Array,
): Tensor {
  const dims = checkRecurrent("LSTM", x, w, config, LSTM_GATES.length, mask);
  checkActivation("LSTM", "activation", config.activation);
  checkActivation(
    "LSTM",
    "recurrentActivation",
    config.recurrentActivation,
  );

  const units = dims.units;
  const options: LstmCellOptions = {
    gates: LSTM_GATES.map((gate) =>
      gate === "cell" ? config.activation : config.recurrentActivation
    ),
    cell: config.activation,
    scratch: new Float32Array(dims.batch * units),
  };
  return runRecurrence(
    x,
    w,
    config,
    dims,
    (z, prev, next, batch) => lstmCell(z, prev, next, batch, units, options),
    mask,
  );
}

/** Activation names per gate (`LSTM_GATES` order), and a scratch buffer. */
interface LstmCellOptions {
  readonly gates: readonly string[];
  /** Activation applied to the new carry before the output gate. */
  readonly cell: string;
  /** `[batch, units]`, reused every step. */
  readonly scratch: Float32Array;
}

/**
 * One LSTM step over the batch. `z` is `[batch, 4 * units]` (input +
 * recurrent projection + bias) and is overwritten by the gate values.
 */
function lstmCell(
  z: Float32Array,
  prev: RecurrentState,
  next: RecurrentState,
  batch: number,
  units: number,
  options: LstmCellOptions,
): void {
  const width = LSTM_GATES.length * units;
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < LSTM_GATES.length; g++) {
      const start = b * width + g * units;
      applyActivation(options.gates[g]!, z, start, start + units, units);
    }
  }

  const carry = options.scratch;
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    for (let u = 0; u < units; u++) {
      const s = b * units + u;
      const c = z[row + FORGET * units + u]! * prev.c[s]! +
        z[row + INPUT * units + u]! * z[row + CELL * units + u]!;
      next.c[s] = c;
      carry[s] = c;
    }
  }

  applyActivation(options.cell, carry, 0, batch * units, units);
  for (let b = 0; b < batch; b++) {
    const gate = b * width + OUTPUT * units;
    for (let u = 0; u < units; u++) {
      next.h[b * units + u] = z[gate + u]! * carry[b * units + u]!;
    }
  }
}
