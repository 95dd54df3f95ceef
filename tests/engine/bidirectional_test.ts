import assert from "node:assert/strict";
import {
  bidirectional,
  type MergeMode,
  type RecurrentRun,
} from "../../src/engine/bidirectional.ts";
import { embedding, maskFromIds } from "../../src/engine/embedding.ts";
import { lstm, type LstmConfig } from "../../src/engine/lstm.ts";
import {
  type RecurrentWeights,
  simpleRnn,
  type SimpleRnnConfig,
} from "../../src/engine/simple_rnn.ts";
import { type Tensor, tensor } from "../../src/engine/tensor.ts";
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

const t = (shape: number[], values: number[]) =>
  tensor(shape, Float32Array.from(values));

const MODES: readonly MergeMode[] = ["concat", "sum", "mul", "ave", null];

/**
 * One unit, linear, no bias, x = [1, 2, 3]. The two directions have
 * different weights, so swapping them would change every number:
 * forward  h_t = x_t + 0.5 h_{t-1}: reads 1, 2, 3 -> [1, 2.5, 4.25]
 * backward h_t = x_t - 1.0 h_{t-1}: reads 3, 2, 1 -> [3, -1, 2] in
 *   processing order, [2, -1, 3] re-aligned in time.
 */
function handRuns(returnSequences: boolean): [RecurrentRun, RecurrentRun] {
  const config: SimpleRnnConfig = {
    units: 1,
    activation: "linear",
    useBias: false,
    returnSequences,
    goBackwards: false,
  };
  const forward = {
    kernel: t([1, 1], [1]),
    recurrentKernel: t([1, 1], [0.5]),
  };
  const backward = {
    kernel: t([1, 1], [1]),
    recurrentKernel: t([1, 1], [-1]),
  };
  return [
    (x, mask) => simpleRnn(x, forward, config, mask),
    (x, mask) => simpleRnn(x, backward, { ...config, goBackwards: true }, mask),
  ];
}

const HAND_X = t([1, 3, 1], [1, 2, 3]);

const HAND_SEQUENCES: Record<string, [number[], number[]]> = {
  // [value, shape]; forward [1, 2.5, 4.25], backward [2, -1, 3]
  concat: [[1, 2, 2.5, -1, 4.25, 3], [1, 3, 2]],
  sum: [[3, 1.5, 7.25], [1, 3, 1]],
  mul: [[2, -2.5, 12.75], [1, 3, 1]],
  ave: [[1.5, 0.75, 3.625], [1, 3, 1]],
};

const HAND_LAST: Record<string, [number[], number[]]> = {
  // forward last 4.25; backward last processed step 2
  concat: [[4.25, 2], [1, 2]],
  sum: [[6.25], [1, 1]],
  mul: [[8.5], [1, 1]],
  ave: [[3.125], [1, 1]],
};

for (const returnSequences of [true, false]) {
  const table = returnSequences ? HAND_SEQUENCES : HAND_LAST;
  for (const mode of ["concat", "sum", "mul", "ave"] as const) {
    Deno.test(
      `bidirectional by hand x=[1,3,1] units=1 merge=${mode} ` +
        `returnSequences=${returnSequences}`,
      () => {
        const [forward, backward] = handRuns(returnSequences);
        const y = bidirectional(
          HAND_X,
          undefined,
          forward,
          backward,
          mode,
          returnSequences,
        );
        const [values, shape] = table[mode]!;
        assertClose(y.data, values, 1e-6, {
          actualShape: y.shape,
          expectedShape: shape,
        });
      },
    );
  }
}

Deno.test(
  "bidirectional by hand x=[1,3,1] merge=null returns [forward, " +
    "re-aligned backward]",
  () => {
    const [forward, backward] = handRuns(true);
    const [y, yRev] = bidirectional(
      HAND_X,
      undefined,
      forward,
      backward,
      null,
      true,
    );
    assertClose(y.data, [1, 2.5, 4.25], 1e-6);
    assertClose(yRev.data, [2, -1, 3], 1e-6, {
      actualShape: yRev.shape,
      expectedShape: [1, 3, 1],
    });
    const [last, lastRev] = handRuns(false);
    const pair = bidirectional(HAND_X, undefined, last, lastRev, null, false);
    assertClose(pair[0].data, [4.25], 1e-6);
    assertClose(pair[1].data, [2], 1e-6);
  },
);

Deno.test(
  "bidirectional by hand x=[1,3,1] mask=[1,1,0] concat passes the " +
    "mask to both",
  () => {
    // forward reads 1, 2, (pad): [1, 2.5, 2.5]
    // backward reads (pad), 2, 1: [0, 2, -1], re-aligned [-1, 2, 0];
    // tfjs does not zero the masked step of the merged output.
    const [forward, backward] = handRuns(true);
    const mask = Uint8Array.from([1, 1, 0]);
    const y = bidirectional(HAND_X, mask, forward, backward, "concat", true);
    assertClose(y.data, [1, -1, 2.5, 2, 2.5, 0], 1e-6);
  },
);

Deno.test(
  "bidirectional rejects merge_mode 'max' and outputs of the wrong " +
    "rank",
  () => {
    const [forward, backward] = handRuns(false);
    assert.throws(
      () =>
        bidirectional(
          HAND_X,
          undefined,
          forward,
          backward,
          "max" as MergeMode,
          false,
        ),
      /Bidirectional: unsupported merge_mode "max"/,
    );
    assert.throws(
      () => bidirectional(HAND_X, undefined, forward, backward, "sum", true),
      /forward output is \[1, 1\], expected \[batch, time, units\]/,
    );
  },
);

/** Engine runs for a wrapped layer, from the weights tfjs listed. */
function engineRuns(
  weights: Tensor[],
  run: (
    x: Tensor,
    w: RecurrentWeights,
    goBackwards: boolean,
    mask?: Uint8Array,
  ) => Tensor,
  goBackwards: boolean,
): [RecurrentRun, RecurrentRun] {
  const [fk, frk, fb, bk, brk, bb] = weights;
  const forward = { kernel: fk!, recurrentKernel: frk!, bias: fb };
  const backward = { kernel: bk!, recurrentKernel: brk!, bias: bb };
  return [
    (x, mask) => run(x, forward, goBackwards, mask),
    (x, mask) => run(x, backward, !goBackwards, mask),
  ];
}

function assertOutputs(actual: Tensor | Tensor[], expected: Tensor[]): void {
  const list = Array.isArray(actual) ? actual : [actual];
  assert.equal(list.length, expected.length, "number of outputs");
  list.forEach((a, i) =>
    assertClose(a.data, expected[i]!.data, 1e-5, {
      actualShape: a.shape,
      expectedShape: expected[i]!.shape,
      msg: `output ${i}`,
    })
  );
}

let seed = 300;
for (const mode of MODES) {
  for (const returnSequences of [false, true]) {
    const s = seed++;
    Deno.test(
      `bidirectional LSTM matches tfjs after Embedding mask_zero ids=[4,6] ` +
        `dim=3 units=2 merge=${mode} returnSequences=${returnSequences}`,
      () => {
        const config: LstmConfig = {
          units: 2,
          activation: "tanh",
          recurrentActivation: "hard_sigmoid",
          useBias: true,
          returnSequences,
          goBackwards: false,
        };
        const input = tf.input({ shape: [6] });
        const embedded = tf.layers.embedding({
          inputDim: PADDED_VOCAB,
          outputDim: 3,
          maskZero: true,
        }).apply(input);
        const layer = tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 2, returnSequences }) as tf.RNN,
          mergeMode: mode as "concat",
        });
        const out = layer.apply(embedded) as
          | tf.SymbolicTensor
          | tf.SymbolicTensor[];
        const model = tf.model({ inputs: input, outputs: out });
        const weights = randomizeWeights(model, uniform(s));
        const expected = predict(model, PADDED_IDS);

        const [forward, backward] = engineRuns(
          weights[2]!,
          (x, w, goBackwards, mask) =>
            lstm(x, w, { ...config, goBackwards }, mask),
          false,
        );
        const actual = bidirectional(
          embedding(PADDED_IDS, weights[1]![0]!),
          maskFromIds(PADDED_IDS),
          forward,
          backward,
          mode,
          returnSequences,
        );
        assertOutputs(actual, expected);
        model.dispose();
      },
    );
  }
}

for (const goBackwards of [false, true]) {
  Deno.test(
    `bidirectional SimpleRNN matches tfjs for x=[3,5,4] units=3 concat ` +
      `returnSequences=true wrapped goBackwards=${goBackwards}`,
    () => {
      const config: SimpleRnnConfig = {
        units: 3,
        activation: "tanh",
        useBias: true,
        returnSequences: true,
        goBackwards,
      };
      const x = randomTensor([3, 5, 4], uniform(5, -1, 1));
      const input = tf.input({ shape: [5, 4] });
      const layer = tf.layers.bidirectional({
        layer: tf.layers.simpleRNN({
          units: 3,
          returnSequences: true,
          goBackwards,
        }) as tf.RNN,
        mergeMode: "concat",
      });
      const model = tf.model({
        inputs: input,
        outputs: layer.apply(input) as tf.SymbolicTensor,
      });
      const weights = randomizeWeights(model, uniform(seed++));
      const expected = predict(model, x);

      const [forward, backward] = engineRuns(
        weights[1]!,
        (x, w, back, mask) =>
          simpleRnn(x, w, { ...config, goBackwards: back }, mask),
        goBackwards,
      );
      const actual = bidirectional(
        x,
        undefined,
        forward,
        backward,
        "concat",
        true,
      );
      assertOutputs(actual, expected);
      model.dispose();
    },
  );
}
