import { bidirectional } from "../../src/engine/bidirectional.ts";
import { dropout } from "../../src/engine/dropout.ts";
import { embedding, maskFromIds } from "../../src/engine/embedding.ts";
import { lstm, type LstmConfig } from "../../src/engine/lstm.ts";
import { simpleRnn } from "../../src/engine/simple_rnn.ts";
import type { Tensor } from "../../src/engine/tensor.ts";
import { assertClose } from "../_util/assert.ts";
import {
  PADDED_IDS,
  PADDED_VOCAB,
  predict,
  randomizeWeights,
  randomTensor,
  tf,
  uniform,
} from "./_tfjs_parity.ts";

const LSTM_DEFAULTS = {
  activation: "tanh",
  recurrentActivation: "hard_sigmoid",
  useBias: true,
  goBackwards: false,
} as const;

/** `[kernel, recurrentKernel, bias]` as the engine's weight record. */
function rnnWeights(list: Tensor[], offset = 0) {
  return {
    kernel: list[offset]!,
    recurrentKernel: list[offset + 1]!,
    bias: list[offset + 2],
  };
}

Deno.test(
  "stack matches tfjs: Embedding mask_zero ids=[4,6] dim=4 -> " +
    "SpatialDropout1D -> Bidirectional(LSTM 3, concat, seq) -> Dropout -> " +
    "LSTM 3 seq -> SimpleRNN 2",
  () => {
    const input = tf.input({ shape: [6] });
    let h = tf.layers.embedding({
      inputDim: PADDED_VOCAB,
      outputDim: 4,
      maskZero: true,
    }).apply(input);
    h = tf.layers.spatialDropout1d({ rate: 0.3 }).apply(h);
    h = tf.layers.bidirectional({
      layer: tf.layers.lstm({ units: 3, returnSequences: true }) as tf.RNN,
      mergeMode: "concat",
    }).apply(h);
    h = tf.layers.dropout({ rate: 0.2 }).apply(h);
    h = tf.layers.lstm({
      units: 3,
      returnSequences: true,
      recurrentActivation: "sigmoid",
    }).apply(h);
    h = tf.layers.simpleRNN({ units: 2 }).apply(h);
    const model = tf.model({ inputs: input, outputs: h as tf.SymbolicTensor });
    const weights = randomizeWeights(model, uniform(500));
    const [expected] = predict(model, PADDED_IDS);

    // Every recurrent layer returning sequences passes the mask on
    // unchanged (tfjs RNN.computeMask), as do both dropouts.
    const mask = maskFromIds(PADDED_IDS);
    let x = embedding(PADDED_IDS, weights[1]![0]!);
    x = dropout(x);
    const bi: LstmConfig = {
      ...LSTM_DEFAULTS,
      units: 3,
      returnSequences: true,
    };
    const biWeights = weights[3]!;
    x = bidirectional(
      x,
      mask,
      (x, m) => lstm(x, rnnWeights(biWeights, 0), bi, m),
      (x, m) =>
        lstm(x, rnnWeights(biWeights, 3), { ...bi, goBackwards: true }, m),
      "concat",
      true,
    );
    x = dropout(x);
    x = lstm(x, rnnWeights(weights[5]!), {
      ...LSTM_DEFAULTS,
      units: 3,
      recurrentActivation: "sigmoid",
      returnSequences: true,
    }, mask);
    const actual = simpleRnn(x, rnnWeights(weights[6]!), {
      units: 2,
      activation: "tanh",
      useBias: true,
      returnSequences: false,
      goBackwards: false,
    }, mask);
    assertClose(actual.data, expected!.data, 1e-5, {
      actualShape: actual.shape,
      expectedShape: expected!.shape,
    });
    model.dispose();
  },
);

Deno.test(
  "stack matches tfjs: x=[3,7,4] SimpleRNN 5 seq goBackwards -> LSTM " +
    "3 goBackwards",
  () => {
    const x = randomTensor([3, 7, 4], uniform(8, -1, 1));
    const input = tf.input({ shape: [7, 4] });
    let h = tf.layers.simpleRNN({
      units: 5,
      returnSequences: true,
      goBackwards: true,
    }).apply(input);
    h = tf.layers.lstm({ units: 3, goBackwards: true }).apply(h);
    const model = tf.model({ inputs: input, outputs: h as tf.SymbolicTensor });
    const weights = randomizeWeights(model, uniform(501));
    const [expected] = predict(model, x);

    const hidden = simpleRnn(x, rnnWeights(weights[1]!), {
      units: 5,
      activation: "tanh",
      useBias: true,
      returnSequences: true,
      goBackwards: true,
    });
    const actual = lstm(hidden, rnnWeights(weights[2]!), {
      ...LSTM_DEFAULTS,
      units: 3,
      returnSequences: false,
      goBackwards: true,
    });
    assertClose(actual.data, expected!.data, 1e-5, {
      actualShape: actual.shape,
      expectedShape: expected!.shape,
    });
    model.dispose();
  },
);
