import assert from "node:assert/strict";
import { embedding, maskFromIds } from "../../src/engine/embedding.ts";
import { lstm, LSTM_GATES, type LstmConfig } from "../../src/engine/lstm.ts";
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

const ONE_UNIT: LstmConfig = {
  units: 1,
  activation: "tanh",
  recurrentActivation: "hard_sigmoid",
  useBias: true,
  returnSequences: true,
  goBackwards: false,
};

Deno.test("LSTM_GATES is i, f, c, o as tfjs splits z", () => {
  assert.deepEqual([...LSTM_GATES], ["input", "forget", "cell", "output"]);
});

Deno.test(
  "lstm by hand x=[1,2,1] units=1 a different bias per gate, " +
    "hard_sigmoid",
  () => {
    // Gates in order i, f, c, o; hs(z) = clip(0.2 z + 0.5, 0, 1).
    // kernel W = [0.5, 0.5, 1, 0.5], recurrent U = [1, -1, 0.5, 2],
    // bias b = [0.5, -0.5, 0.25, 1]; x = [1, -1], h0 = c0 = 0.
    // Step 1: z = W + b = [1, 0, 1.25, 1.5]
    //   i = hs(1) = 0.7, f = hs(0) = 0.5, g = tanh(1.25) = 0.848284,
    //   o = hs(1.5) = 0.8
    //   c1 = 0.5 * 0 + 0.7 * 0.848284 = 0.593799
    //   h1 = 0.8 * tanh(0.593799) = 0.8 * 0.532622 = 0.426098
    // Step 2: z = -W + U * h1 + b
    //        = [0.426098, -1.426098, -0.536951, 1.352195]
    //   i = 0.585220, f = 0.214780, g = tanh(-0.536951) = -0.490677,
    //   o = 0.770439
    //   c2 = 0.214780 * 0.593799 + 0.585220 * -0.490677 = -0.159617
    //   h2 = 0.770439 * tanh(-0.159617) = 0.770439 * -0.158275 = -0.121942
    const w = {
      kernel: t([1, 4], [0.5, 0.5, 1, 0.5]),
      recurrentKernel: t([1, 4], [1, -1, 0.5, 2]),
      bias: t([4], [0.5, -0.5, 0.25, 1]),
    };
    const y = lstm(t([1, 2, 1], [1, -1]), w, ONE_UNIT);
    assertClose(y.data, [0.426098, -0.121942], 1e-6, {
      actualShape: y.shape,
      expectedShape: [1, 2, 1],
    });
  },
);

Deno.test(
  "lstm by hand x=[1,1,1] units=1 reads activation from config " +
    "(linear vs tanh)",
  () => {
    // Zero kernels, bias [0, 0, 2, 0]: i = f = o = hs(0) = 0.5, z_c = 2.
    // linear: c = 0.5 * 2 = 1, h = 0.5 * 1 = 0.5
    // tanh:   c = 0.5 * tanh(2) = 0.482014,
    //         h = 0.5 * tanh(0.482014) = 0.5 * 0.447855
    //       = 0.223927
    const w = {
      kernel: t([1, 4], [0, 0, 0, 0]),
      recurrentKernel: t([1, 4], [0, 0, 0, 0]),
      bias: t([4], [0, 0, 2, 0]),
    };
    const x = t([1, 1, 1], [3]);
    const linear = lstm(x, w, { ...ONE_UNIT, activation: "linear" });
    assertClose(linear.data, [0.5], 1e-6);
    const tanh = lstm(x, w, ONE_UNIT);
    assertClose(tanh.data, [0.223927], 1e-6);
  },
);

Deno.test(
  "lstm x=[2,4,3] units=2 masked steps are skipped and repeat the " +
    "previous output",
  () => {
    // Row 0 is [pad, a, pad, b]; row 1 is [a, b, pad, pad]. Masking a step
    // means skipping it, so both rows must end where the LSTM over [a, b]
    // ends, and every masked step repeats the previous output (0 at first).
    const rand = uniform(3);
    const w = {
      kernel: randomTensor([3, 8], rand),
      recurrentKernel: randomTensor([2, 8], rand),
      bias: randomTensor([8], rand),
    };
    const a = [0.3, -0.7, 0.9];
    const b = [-0.2, 0.5, 0.1];
    const pad = [9, 9, 9]; // Any value: a masked step must not read it.
    const x = t([2, 4, 3], [pad, a, pad, b, a, b, pad, pad].flat());
    const mask = Uint8Array.from([0, 1, 0, 1, 1, 1, 0, 0]);
    const y = lstm(x, w, { ...ONE_UNIT, units: 2 }, mask);

    const ref = lstm(t([1, 2, 3], [a, b].flat()), w, { ...ONE_UNIT, units: 2 });
    const [ha, hb] = [[...ref.data.slice(0, 2)], [...ref.data.slice(2, 4)]];
    const expected = [[0, 0], ha, ha, hb, ha, hb, hb, hb].flat();
    assertClose(y.data, expected, 1e-7, {
      actualShape: y.shape,
      expectedShape: [2, 4, 2],
    });
  },
);

Deno.test(
  "lstm rejects a recurrentKernel [2,4] for units=2 and an unknown " +
    "recurrentActivation (camelCase)",
  () => {
    const w = {
      kernel: t([1, 8], new Array(8).fill(0)),
      recurrentKernel: t([2, 4], new Array(8).fill(0)),
      bias: t([8], new Array(8).fill(0)),
    };
    const x = t([1, 1, 1], [1]);
    assert.throws(
      () => lstm(x, w, { ...ONE_UNIT, units: 2 }),
      /LSTM: recurrentKernel has shape \[2, 4\], expected \[2, 8\]/,
    );
    const ok = { ...w, recurrentKernel: t([2, 8], new Array(16).fill(0)) };
    assert.throws(
      () =>
        lstm(x, ok, {
          ...ONE_UNIT,
          units: 2,
          recurrentActivation: "hardSigmoid",
        }),
      /LSTM: unsupported recurrentActivation "hardSigmoid"/,
    );
    assert.throws(
      () => lstm(t([1, 0, 1], []), ok, { ...ONE_UNIT, units: 2 }),
      /LSTM: input has no time steps/,
    );
  },
);

type ParityConfig = LstmConfig & {
  activation: ActivationName;
  recurrentActivation: ActivationName;
};

function tfjsLstm(config: ParityConfig): tf.layers.Layer {
  return tf.layers.lstm({
    units: config.units,
    activation: TFJS_ACTIVATION[config.activation],
    recurrentActivation: TFJS_ACTIVATION[config.recurrentActivation],
    useBias: config.useBias,
    returnSequences: config.returnSequences,
    goBackwards: config.goBackwards,
  });
}

/** Builds `input -> LSTM` in tfjs with random weights; runs both. */
function parity(x: Tensor, config: ParityConfig, seed: number): void {
  const [, time, features] = x.shape as [number, number, number];
  const input = tf.input({ shape: [time, features] });
  const model = tf.model({
    inputs: input,
    outputs: tfjsLstm(config).apply(input) as tf.SymbolicTensor,
  });
  const [kernel, recurrentKernel, bias] = randomizeWeights(
    model,
    uniform(seed),
  )[1]!;
  const [expected] = predict(model, x);
  const w = { kernel: kernel!, recurrentKernel: recurrentKernel!, bias };
  const actual = lstm(x, w, config);
  assertClose(actual.data, expected!.data, 1e-5, {
    actualShape: actual.shape,
    expectedShape: expected!.shape,
  });
  model.dispose();
}

const X = randomTensor([3, 5, 4], uniform(2, -1, 1));
let seed = 100;
for (const recurrentActivation of ["hard_sigmoid", "sigmoid"] as const) {
  for (const returnSequences of [false, true]) {
    for (const goBackwards of [false, true]) {
      const s = seed++;
      Deno.test(
        `lstm matches tfjs for x=[3,5,4] units=3 tanh/${recurrentActivation} ` +
          `returnSequences=${returnSequences} goBackwards=${goBackwards}`,
        () =>
          parity(X, {
            units: 3,
            activation: "tanh",
            recurrentActivation,
            useBias: true,
            returnSequences,
            goBackwards,
          }, s),
      );
    }
  }
}

for (const activation of ["relu", "sigmoid"] as const) {
  Deno.test(
    `lstm matches tfjs for x=[3,5,4] units=3 ` +
      `activation=${activation}/sigmoid useBias=false returnSequences=true`,
    () =>
      parity(X, {
        units: 3,
        activation,
        recurrentActivation: "sigmoid",
        useBias: false,
        returnSequences: true,
        goBackwards: false,
      }, seed++),
  );
}

for (const returnSequences of [false, true]) {
  for (const goBackwards of [false, true]) {
    Deno.test(
      `lstm matches tfjs after Embedding mask_zero ids=[4,6] dim=3 units=2 ` +
        `returnSequences=${returnSequences} goBackwards=${goBackwards}`,
      () => {
        const config: ParityConfig = {
          units: 2,
          activation: "tanh",
          recurrentActivation: "hard_sigmoid",
          useBias: true,
          returnSequences,
          goBackwards,
        };
        const input = tf.input({ shape: [6] });
        const embedded = tf.layers.embedding({
          inputDim: PADDED_VOCAB,
          outputDim: 3,
          maskZero: true,
        }).apply(input);
        const model = tf.model({
          inputs: input,
          outputs: tfjsLstm(config).apply(embedded) as tf.SymbolicTensor,
        });
        const weights = randomizeWeights(model, uniform(200));
        const [expected] = predict(model, PADDED_IDS);

        const [table] = weights[1]!;
        const [kernel, recurrentKernel, bias] = weights[2]!;
        const actual = lstm(
          embedding(PADDED_IDS, table!),
          { kernel: kernel!, recurrentKernel: recurrentKernel!, bias },
          config,
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
