/**
 * Golden values from Keras 3 (TensorFlow 2.x, CPU): a second reference for
 * the engine, independent of TensorFlow.js. Each case in
 * `tests/fixtures/engine_keras.json` (written by
 * `tests/fixtures/make_engine_fixture.py`; see its header for how to rerun
 * it and which versions made the file) runs through the engine's layer
 * function with the recorded config and weights.
 *
 * Where Keras 3 and tfjs knowingly differ, the fixture lists the case under
 * `differences` and the engine is held to tfjs's semantics there; the tests
 * at the bottom check that, and that the gap to Keras is really there.
 *
 * @module
 */
import assert from "node:assert/strict";
import { applyActivation } from "../../src/engine/activations.ts";
import {
  bidirectional,
  type MergeMode,
} from "../../src/engine/bidirectional.ts";
import { conv2d, type Padding } from "../../src/engine/conv2d.ts";
import { dense } from "../../src/engine/dense.ts";
import { embedding, maskFromIds } from "../../src/engine/embedding.ts";
import { lstm, type LstmConfig } from "../../src/engine/lstm.ts";
import {
  avgPool2d,
  maxPool2d,
  type Pool2dConfig,
} from "../../src/engine/pooling.ts";
import {
  type RecurrentWeights,
  simpleRnn,
  type SimpleRnnConfig,
} from "../../src/engine/simple_rnn.ts";
import { formatShape, type Tensor, tensor } from "../../src/engine/tensor.ts";
import { assertClose } from "../_util/assert.ts";

const TOL = 1e-5;
const FIXTURE = "tests/fixtures/engine_keras.json";

interface ArrayJson {
  shape: number[];
  values: number[];
}

interface NamedArray extends ArrayJson {
  name: string;
}

type Config = Record<string, unknown>;

interface GoldenCase {
  name: string;
  layer: string;
  config: Config;
  input: ArrayJson;
  weights: NamedArray[];
  output: ArrayJson;
}

interface HardSigmoidDifference {
  name: "hard_sigmoid";
  probe_x: number[];
  keras_y: number[];
}

interface MaskedBidirectionalDifference {
  name: "bidirectional_masked_return_sequences";
  case: GoldenCase & { mask_from_ids: ArrayJson; tfjs_output: ArrayJson };
}

interface Fixture {
  versions: Record<string, string>;
  cases: GoldenCase[];
  differences: (HardSigmoidDifference | MaskedBidirectionalDifference)[];
}

const fixture: Fixture = JSON.parse(
  Deno.readTextFileSync(
    new URL("../fixtures/engine_keras.json", import.meta.url),
  ),
);

const toTensor = (a: ArrayJson): Tensor =>
  tensor(a.shape, Float32Array.from(a.values));

const FIELD_CHECKS = {
  number: (v: unknown) => typeof v === "number",
  string: (v: unknown) => typeof v === "string",
  boolean: (v: unknown) => typeof v === "boolean",
  pair: (v: unknown) =>
    Array.isArray(v) && v.length === 2 && v.every(Number.isInteger),
};

/** Reads a config field, failing with the case and key named. */
function field<T>(
  c: { name: string },
  config: Config,
  key: string,
  type: keyof typeof FIELD_CHECKS,
): T {
  const v = config[key];
  const ok = FIELD_CHECKS[type](v);
  if (!ok) {
    throw new TypeError(
      `${FIXTURE} case ${c.name}: config.${key} is ${JSON.stringify(v)}, ` +
        `expected a ${type}`,
    );
  }
  return v as T;
}

/** The weight called `name`; the layer function checks its shape. */
function weight(c: GoldenCase, name: string): Tensor {
  const w = c.weights.find((entry) => entry.name === name);
  if (!w) {
    throw new Error(
      `${FIXTURE} case ${c.name}: no weight "${name}" (has ${
        c.weights.map((entry) => entry.name).join(", ")
      })`,
    );
  }
  return toTensor(w);
}

function recurrentWeights(c: GoldenCase, prefix = ""): RecurrentWeights {
  return {
    kernel: weight(c, `${prefix}kernel`),
    recurrentKernel: weight(c, `${prefix}recurrent_kernel`),
    bias: weight(c, `${prefix}bias`),
  };
}

function simpleRnnConfig(c: GoldenCase, config: Config): SimpleRnnConfig {
  return {
    units: field(c, config, "units", "number"),
    activation: field(c, config, "activation", "string"),
    useBias: field(c, config, "use_bias", "boolean"),
    returnSequences: field(c, config, "return_sequences", "boolean"),
    goBackwards: field(c, config, "go_backwards", "boolean"),
  };
}

function lstmConfig(c: GoldenCase, config: Config): LstmConfig {
  return {
    ...simpleRnnConfig(c, config),
    recurrentActivation: field(c, config, "recurrent_activation", "string"),
  };
}

function poolConfig(c: GoldenCase): Pool2dConfig {
  return {
    poolSize: field(c, c.config, "pool_size", "pair"),
    strides: field(c, c.config, "strides", "pair"),
    padding: field<Padding>(c, c.config, "padding", "string"),
  };
}

/** The wrapped LSTM's config of a Bidirectional case. */
function innerLstm(c: GoldenCase): LstmConfig {
  const inner = c.config.layer as { class_name?: string; config?: Config };
  if (inner?.class_name !== "LSTM" || !inner.config) {
    throw new Error(
      `${FIXTURE} case ${c.name}: Bidirectional wraps ` +
        `${JSON.stringify(inner?.class_name)}, expected LSTM`,
    );
  }
  return lstmConfig(c, inner.config);
}

function runBidirectional(c: GoldenCase, mask?: Uint8Array): Tensor {
  const config = innerLstm(c);
  const forward = recurrentWeights(c, "forward_");
  const backward = recurrentWeights(c, "backward_");
  const backConfig = { ...config, goBackwards: !config.goBackwards };
  return bidirectional(
    toTensor(c.input),
    mask,
    (x, m) => lstm(x, forward, config, m),
    (x, m) => lstm(x, backward, backConfig, m),
    field<Exclude<MergeMode, null>>(c, c.config, "merge_mode", "string"),
    config.returnSequences,
  );
}

/** Runs one case through the engine's layer function for its class. */
function runCase(c: GoldenCase): Tensor {
  const x = toTensor(c.input);
  switch (c.layer) {
    case "Conv2D":
      return conv2d(x, weight(c, "kernel"), weight(c, "bias"), {
        strides: field(c, c.config, "strides", "pair"),
        padding: field(c, c.config, "padding", "string"),
        activation: field(c, c.config, "activation", "string"),
      });
    case "MaxPooling2D":
      return maxPool2d(x, poolConfig(c));
    case "AveragePooling2D":
      return avgPool2d(x, poolConfig(c));
    case "Dense":
      return dense(
        x,
        weight(c, "kernel"),
        weight(c, "bias"),
        field(c, c.config, "activation", "string"),
      );
    case "SimpleRNN":
      return simpleRnn(x, recurrentWeights(c), simpleRnnConfig(c, c.config));
    case "LSTM":
      return lstm(x, recurrentWeights(c), lstmConfig(c, c.config));
    case "Embedding+LSTM": {
      const embedded = embedding(x, weight(c, "embeddings"));
      const config = lstmConfig(c, c.config.lstm as Config);
      return lstm(embedded, recurrentWeights(c), config, maskFromIds(x));
    }
    case "Bidirectional":
      return runBidirectional(c);
    default:
      throw new Error(
        `${FIXTURE} case ${c.name}: no engine function for layer ` +
          `"${c.layer}"`,
      );
  }
}

function expectKeras(c: GoldenCase, actual: Tensor, expected: ArrayJson) {
  assertClose(actual.data, expected.values, TOL, {
    actualShape: actual.shape,
    expectedShape: expected.shape,
    msg: `${c.name} (Keras ${fixture.versions.keras})`,
  });
}

for (const c of fixture.cases) {
  const shapes = `x=${formatShape(c.input.shape)} -> ${
    formatShape(c.output.shape)
  }`;
  Deno.test(`${c.name}: engine matches Keras ${c.layer} ${shapes}`, () => {
    expectKeras(c, runCase(c), c.output);
  });
}

Deno.test("fixture covers every layer kind the engine is checked on", () => {
  const kinds = new Set(fixture.cases.map((c) => c.layer));
  for (
    const kind of [
      "Conv2D",
      "MaxPooling2D",
      "AveragePooling2D",
      "Dense",
      "SimpleRNN",
      "LSTM",
      "Embedding+LSTM",
      "Bidirectional",
    ]
  ) {
    assert.ok(kinds.has(kind), `${FIXTURE} has no ${kind} case`);
  }
  const merges = fixture.cases
    .filter((c) => c.layer === "Bidirectional")
    .map((c) => c.config.merge_mode);
  assert.deepEqual(merges.sort(), ["ave", "concat", "mul", "sum"]);
});

function difference<N extends Fixture["differences"][number]["name"]>(
  name: N,
): Extract<Fixture["differences"][number], { name: N }> | undefined {
  return fixture.differences.find((d) => d.name === name) as
    | Extract<Fixture["differences"][number], { name: N }>
    | undefined;
}

// Keras 3 hard_sigmoid is clip(x / 6 + 0.5, 0, 1) (keras/src/ops/nn.py
// hard_sigmoid = relu6(x + 3) / 6); tfjs 4.22's is clip(0.2 x + 0.5, 0, 1)
// (tfjs-layers/src/activations.ts HardSigmoid). The engine follows tfjs.
// The fixture records Keras's values on a probe when the two differ, and
// its lstm_hard_sigmoid_*_tfjs_formula cases give Keras tfjs's formula.
const hardSigmoid = difference("hard_sigmoid");
if (hardSigmoid) {
  Deno.test(
    `hard_sigmoid x=[${hardSigmoid.probe_x}]: engine is tfjs's ` +
      "clip(0.2x + 0.5), not Keras 3's clip(x/6 + 0.5)",
    () => {
      const y = Float32Array.from(hardSigmoid.probe_x);
      applyActivation("hard_sigmoid", y);
      const tfjs = hardSigmoid.probe_x.map((v) =>
        Math.min(1, Math.max(0, 0.2 * v + 0.5))
      );
      assertClose(y, tfjs, 1e-7);
      const gap = Math.max(
        ...hardSigmoid.keras_y.map((k, i) => Math.abs(k - y[i]!)),
      );
      // At x = 1: tfjs 0.7, Keras 3 0.6667.
      assert.ok(gap > 0.03, `Keras and engine hard_sigmoid differ by ${gap}`);
    },
  );
}

// Keras 3 Bidirectional sets zero_output_for_mask on both copies when they
// return sequences (keras/src/layers/rnn/bidirectional.py), so masked steps
// come out as 0; tfjs 4.22 Bidirectional.call does not: the forward copy
// repeats its last real output and the backward copy, which meets the end
// padding first, gives its zero initial state there. The fixture's
// tfjs_output was computed in Keras from two plain LSTMs (no zeroing) with
// the same weights.
const masked = difference("bidirectional_masked_return_sequences");
if (masked) {
  const c = masked.case;
  Deno.test(
    `${c.name} x=${formatShape(c.input.shape)} -> ` +
      `${formatShape(c.output.shape)}: engine follows tfjs at masked ` +
      "steps, Keras 3 at real ones",
    () => {
      const mask = maskFromIds(toTensor(c.mask_from_ids));
      const actual = runBidirectional(c, mask);
      expectKeras(c, actual, c.tfjs_output);

      const width = c.output.shape[2]!;
      let maskedNonZero = 0;
      for (let p = 0; p < mask.length; p++) {
        const row = (from: ArrayLike<number>) =>
          Array.from({ length: width }, (_, j) => from[p * width + j]!);
        const engineRow = row(actual.data);
        const kerasRow = row(c.output.values);
        if (mask[p]) {
          assertClose(engineRow, kerasRow, TOL, { msg: `real step ${p}` });
        } else {
          assert.ok(kerasRow.every((v) => v === 0), `Keras step ${p} not 0`);
          if (engineRow.some((v) => v !== 0)) maskedNonZero++;
        }
      }
      assert.ok(maskedNonZero > 0, "no masked step shows the tfjs carry");
    },
  );
}
