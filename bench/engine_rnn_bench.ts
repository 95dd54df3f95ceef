/**
 * The from-scratch engine on the NusaX-sized text model: Embedding (128) ->
 * Bidirectional(LSTM 64, concat) over 400 sequences of 80 tokens, with and
 * without the `mask_zero` mask. Engine only, no TensorFlow.js. Each
 * iteration is seconds of work, so the runs are few.
 * Run with `deno bench -A bench/engine_rnn_bench.ts`.
 *
 * @module
 */
import { bidirectional } from "../src/engine/bidirectional.ts";
import { embedding, maskFromIds } from "../src/engine/embedding.ts";
import { lstm, type LstmConfig } from "../src/engine/lstm.ts";
import type { RecurrentWeights } from "../src/engine/simple_rnn.ts";
import { type Tensor, tensor } from "../src/engine/tensor.ts";

const BATCH = 400;
const TIME = 80;
const DIM = 128;
const UNITS = 64;
const VOCAB = 5000;

/** Deterministic values in [-0.5, 0.5) from a linear congruential source. */
function filled(shape: number[], seed: number): Tensor {
  const t = tensor(shape);
  let s = seed;
  for (let i = 0; i < t.data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    t.data[i] = s / 2147483648 - 0.5;
  }
  return t;
}

/** Token ids `[batch, time]`, each sequence padded at the end to 20-80. */
function paddedIds(): Tensor {
  const ids = tensor([BATCH, TIME]);
  for (let b = 0; b < BATCH; b++) {
    const length = 20 + ((b * 37) % (TIME - 19));
    for (let t = 0; t < length; t++) {
      ids.data[b * TIME + t] = 1 + ((b * 131 + t * 17) % (VOCAB - 1));
    }
  }
  return ids;
}

function lstmWeights(seed: number): RecurrentWeights {
  return {
    kernel: filled([DIM, 4 * UNITS], seed),
    recurrentKernel: filled([UNITS, 4 * UNITS], seed + 1),
    bias: filled([4 * UNITS], seed + 2),
  };
}

const table = filled([VOCAB, DIM], 1);
const forward = lstmWeights(10);
const backward = lstmWeights(20);
const config: LstmConfig = {
  units: UNITS,
  activation: "tanh",
  recurrentActivation: "hard_sigmoid",
  useBias: true,
  returnSequences: false,
  goBackwards: false,
};
const ids = paddedIds();

function run(mask?: Uint8Array): Tensor {
  const x = embedding(ids, table);
  return bidirectional(
    x,
    mask,
    (x, m) => lstm(x, forward, config, m),
    (x, m) => lstm(x, backward, { ...config, goBackwards: true }, m),
    "concat",
    false,
  );
}

Deno.bench({
  name: `embedding ${DIM} + bidirectional LSTM ${UNITS}, ` +
    `x=[${BATCH},${TIME}], mask_zero`,
  group: "bilstm",
  n: 3,
  warmup: 1,
  fn: () => {
    run(maskFromIds(ids));
  },
});

Deno.bench({
  name: `embedding ${DIM} + bidirectional LSTM ${UNITS}, ` +
    `x=[${BATCH},${TIME}], no mask`,
  group: "bilstm",
  n: 3,
  warmup: 1,
  fn: () => {
    run();
  },
});
