import assert from "node:assert/strict";
import {
  activationNames,
  applyActivation,
} from "../../src/engine/activations.ts";
import { assertClose } from "../_util/assert.ts";
import { randomData, tf, tfl } from "./_tfjs.ts";

Deno.test("activation names are exactly those tfjs 4.22 registers, snake_case", () => {
  assert.deepEqual(activationNames(), [
    "elu",
    "gelu",
    "gelu_new",
    "hard_sigmoid",
    "linear",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
  ]);
});

Deno.test("hard_sigmoid is tfjs's clip(0.2x + 0.5, 0, 1), relu6 clips at 6", () => {
  // 0.2*-3+0.5 = -0.1 -> 0; 0.2*1+0.5 = 0.7; 0.2*4+0.5 = 1.3 -> 1
  const hs = Float32Array.of(-3, 1, 4);
  applyActivation("hard_sigmoid", hs);
  assertClose(hs, [0, 0.7, 1], 1e-7);
  const r6 = Float32Array.of(-1, 3, 7);
  applyActivation("relu6", r6);
  assertClose(r6, [0, 3, 6], 0);
});

Deno.test("softmax rows of 4 sum to 1 and log_softmax is its log, [3, 4]", () => {
  const x = randomData(12, 11, -20, 20);
  const sm = Float32Array.from(x);
  applyActivation("softmax", sm, 0, 12, 4);
  for (let r = 0; r < 3; r++) {
    const sum = sm.slice(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0);
    assertClose([sum], [1], 1e-6, { msg: `row ${r}` });
  }
  const lsm = Float32Array.from(x);
  applyActivation("log_softmax", lsm, 0, 12, 4);
  assertClose(lsm.map(Math.exp), sm, 1e-6);
});

Deno.test("unknown activation names the known ones", () => {
  assert.throws(
    () => applyActivation("leaky_relu", new Float32Array(2)),
    /unsupported activation "leaky_relu" \(known: elu, gelu/,
  );
});

// tfjs-layers identifiers (camelCase where the saved name is snake_case).
const TFJS_ID: Record<string, string> = {
  hard_sigmoid: "hardSigmoid",
  log_softmax: "logSoftmax",
};

for (const name of activationNames()) {
  Deno.test(`activation ${name} matches tfjs on [4, 6] values in [-8, 8]`, () => {
    const x = randomData(24, 21, -8, 8);
    const actual = Float32Array.from(x);
    applyActivation(name, actual, 0, 24, 6);
    const expected = tf.tidy(() => {
      const layer = tfl.layers.activation({
        // deno-lint-ignore no-explicit-any
        activation: (TFJS_ID[name] ?? name) as any,
      });
      const y = layer.apply(tf.tensor(x, [4, 6])) as tf.Tensor;
      return y.dataSync() as Float32Array;
    });
    assertClose(actual, expected, 1e-5);
  });
}
