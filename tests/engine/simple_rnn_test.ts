import assert from "node:assert/strict";
import { embedding, maskFromIds } from "../../src/engine/embedding.ts";
import {
  simpleRnn,
  type SimpleRnnConfig,
} from "../../src/engine/simple_rnn.ts";
import { type Tensor, tensor } from "../../src/engine/tensor.ts";
import { assertClose } from "../_util/assert.ts";
import {
  type ActivationName,
  PADDED_IDS,
  PADDED_VOCAB,
  predict,
  randomizeWeights,
  randomTensor,
  tf,
  TFJS_ACTIVATION,
  uniform,
} from "./_tfjs_parity.ts";

const t = (shape: number[], values: number[]) =>
  tensor(shape, Float32Array.from(values));

/** One unit, one feature, linear: h_t = x_t + 0.5 * h_{t-1}. */
const HALF = {
  kernel: t([1, 1], [1]),
  recurrentKernel: t([1, 1], [0.5]),
};
const LINEAR: SimpleRnnConfig = {
  units: 1,
  activation: "linear",
  useBias: false,
  returnSequences: true,
  goBackwards: false,
};

Deno.test("simpleRnn by hand x=[1,3,1] units=1 linear returnSequences", () => {
  // h1 = 1, h2 = 2 + 0.5 * 1 = 2.5, h3 = 3 + 0.5 * 2.5 = 4.25
  const y = simpleRnn(t([1, 3, 1], [1, 2, 3]), HALF, LINEAR);
  assertClose(y.data, [1, 2.5, 4.25], 1e-6, {
    actualShape: y.shape,
    expectedShape: [1, 3, 1],
  });
});

Deno.test("simpleRnn by hand x=[1,3,1] units=1 linear goBackwards", () => {
  // Reads 3, 2, 1: h1 = 3, h2 = 2 + 1.5 = 3.5, h3 = 1 + 1.75 = 2.75.
  // The sequence stays in processing order (not reversed back).
  const config = { ...LINEAR, goBackwards: true };
  const y = simpleRnn(t([1, 3, 1], [1, 2, 3]), HALF, config);
  assertClose(y.data, [3, 3.5, 2.75], 1e-6, {
    actualShape: y.shape,
    expectedShape: [1, 3, 1],
  });
  const last = simpleRnn(t([1, 3, 1], [1, 2, 3]), HALF, {
    ...config,
    returnSequences: false,
  });
  assertClose(last.data, [2.75], 1e-6, {
    actualShape: last.shape,
    expectedShape: [1, 1],
  });
});

Deno.test("simpleRnn by hand x=[1,4,1] mask=[0,1,0,1] carries state", () => {
  // t0 masked: state stays 0, output 0 (nothing real seen yet)
  // t1: h = 2 + 0.5 * 0 = 2
  // t2 masked: state stays 2, output repeats 2
  // t3: h = 4 + 0.5 * 2 = 5
  const x = t([1, 4, 1], [1, 2, 3, 4]);
  const mask = Uint8Array.from([0, 1, 0, 1]);
  const y = simpleRnn(x, HALF, LINEAR, mask);
  assertClose(y.data, [0, 2, 2, 5], 1e-6, {
    actualShape: y.shape,
    expectedShape: [1, 4, 1],
  });
});

Deno.test(
  "simpleRnn by hand x=[1,3,1] mask=[1,1,0] goBackwards reverses the " +
    "mask",
  () => {
    // Processing order reads x 3, 2, 1 with mask 0, 1, 1:
    // s0 masked: output 0; s1: h = 2; s2: h = 1 + 0.5 * 2 = 2.
    const config = { ...LINEAR, goBackwards: true };
    const mask = Uint8Array.from([1, 1, 0]);
    const y = simpleRnn(t([1, 3, 1], [1, 2, 3]), HALF, config, mask);
    assertClose(y.data, [0, 2, 2], 1e-6);
  },
);

Deno.test("simpleRnn by hand batch=2 units=2 tanh with bias", () => {
  // kernel [[1, -1]], recurrent [[0, 1], [1, 0]] (swaps units), bias
  // [0.5, 0]. Row 0, x = [1, 0]:
  //   h1 = tanh([1.5, -1]) = [0.905148, -0.761594]
  //   h2 = tanh([0 + 0.5 - 0.761594, 0 + 0.905148]) = tanh([-0.261594,
  //        0.905148]) = [-0.255786, 0.718795]
  // Row 1, x = [0, 0]: h1 = tanh([0.5, 0]) = [0.462117, 0],
  //   h2 = tanh([0.5 + 0, 0.462117]) = [0.462117, 0.431808]
  const w = {
    kernel: t([1, 2], [1, -1]),
    recurrentKernel: t([2, 2], [0, 1, 1, 0]),
    bias: t([2], [0.5, 0]),
  };
  const config = {
    units: 2,
    activation: "tanh",
    useBias: true,
    returnSequences: false,
    goBackwards: false,
  };
  const y = simpleRnn(t([2, 2, 1], [1, 0, 0, 0]), w, config);
  assertClose(y.data, [-0.255786, 0.718795, 0.462117, 0.431808], 1e-6, {
    actualShape: y.shape,
    expectedShape: [2, 2],
  });
});

Deno.test(
  "simpleRnn rejects a kernel [2,1] for x=[1,3,1], naming both shapes",
  () => {
    const w = {
      kernel: t([2, 1], [1, 1]),
      recurrentKernel: HALF.recurrentKernel,
    };
    assert.throws(
      () => simpleRnn(t([1, 3, 1], [1, 2, 3]), w, LINEAR),
      /SimpleRNN: kernel has shape \[2, 1\], expected \[1, 1\]/,
    );
  },
);

Deno.test(
  "simpleRnn rejects a mask of the wrong length and a bias when " +
    "useBias is false",
  () => {
    const x = t([1, 3, 1], [1, 2, 3]);
    assert.throws(
      () => simpleRnn(x, HALF, LINEAR, new Uint8Array(2)),
      /mask has 2 entries, expected batch \* time = 3/,
    );
    assert.throws(
      () => simpleRnn(x, { ...HALF, bias: t([1], [0]) }, LINEAR),
      /useBias is false but a bias \[1\] was given/,
    );
    assert.throws(
      () => simpleRnn(x, HALF, { ...LINEAR, activation: "hardSigmoid" }),
      /SimpleRNN: unsupported activation "hardSigmoid"/,
    );
  },
);

/** Builds `input -> SimpleRNN` in tfjs with random weights; runs both. */
function parity(
  x: Tensor,
  config: SimpleRnnConfig & { activation: ActivationName },
  seed: number,
): void {
  const [, time, features] = x.shape as [number, number, number];
  const input = tf.input({ shape: [time, features] });
  const layer = tf.layers.simpleRNN({
    units: config.units,
    activation: TFJS_ACTIVATION[config.activation],
    useBias: config.useBias,
    returnSequences: config.returnSequences,
    goBackwards: config.goBackwards,
  });
  const model = tf.model({
    inputs: input,
    outputs: layer.apply(input) as tf.SymbolicTensor,
  });
  const [kernel, recurrentKernel, bias] = randomizeWeights(
    model,
    uniform(seed),
  )[1]!;
  const [expected] = predict(model, x);
  const w = { kernel: kernel!, recurrentKernel: recurrentKernel!, bias };
  const actual = simpleRnn(x, w, config);
  assertClose(actual.data, expected!.data, 1e-5, {
    actualShape: actual.shape,
    expectedShape: expected!.shape,
  });
  model.dispose();
}

const X = randomTensor([3, 5, 4], uniform(1, -1, 1));
let seed = 10;
for (const activation of ["tanh", "sigmoid", "hard_sigmoid"] as const) {
  for (const returnSequences of [false, true]) {
    for (const goBackwards of [false, true]) {
      const s = seed++;
      Deno.test(
        `simpleRnn matches tfjs for x=[3,5,4] units=3 ${activation} ` +
          `returnSequences=${returnSequences} goBackwards=${goBackwards}`,
        () =>
          parity(X, {
            units: 3,
            activation,
            useBias: true,
            returnSequences,
            goBackwards,
          }, s),
      );
    }
  }
}

Deno.test(
  "simpleRnn matches tfjs for x=[3,5,4] units=3 relu useBias=false",
  () =>
    parity(X, {
      units: 3,
      activation: "relu",
      useBias: false,
      returnSequences: true,
      goBackwards: false,
    }, 30),
);

for (const returnSequences of [false, true]) {
  for (const goBackwards of [false, true]) {
    Deno.test(
      `simpleRnn matches tfjs after Embedding mask_zero ids=[4,6] dim=3 ` +
        `units=2 returnSequences=${returnSequences} goBackwards=${goBackwards}`,
      () => {
        const input = tf.input({ shape: [6] });
        const embedded = tf.layers.embedding({
          inputDim: PADDED_VOCAB,
          outputDim: 3,
          maskZero: true,
        }).apply(input);
        const rnn = tf.layers.simpleRNN({
          units: 2,
          returnSequences,
          goBackwards,
        }).apply(embedded);
        const model = tf.model({
          inputs: input,
          outputs: rnn as tf.SymbolicTensor,
        });
        const weights = randomizeWeights(model, uniform(40));
        const [expected] = predict(model, PADDED_IDS);

        const [table] = weights[1]!;
        const [kernel, recurrentKernel, bias] = weights[2]!;
        const actual = simpleRnn(
          embedding(PADDED_IDS, table!),
          { kernel: kernel!, recurrentKernel: recurrentKernel!, bias },
          {
            units: 2,
            activation: "tanh",
            useBias: true,
            returnSequences,
            goBackwards,
          },
          maskFromIds(PADDED_IDS),
        );
        assertClose(actual.data, expected!.data, 1e-5, {
          actualShape: actual.shape,
          expectedShape: expected!.shape,
        });
        model.dispose();
      },
    );
  }
}
