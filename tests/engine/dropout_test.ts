import assert from "node:assert/strict";
import { dropout } from "../../src/engine/dropout.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { assertClose } from "../_util/assert.ts";
import { predict, tf } from "./_tfjs_parity.ts";

const X = tensor(
  [2, 3, 2],
  Float32Array.from([1, -2, 3, -4, 5, -6, 7, 8, 9, 10, 11, 12]),
);

Deno.test(
  "dropout x=[2,3,2] is the identity at inference, without a copy",
  () => {
    const y = dropout(X);
    assert.equal(y, X);
    assertClose(y.data, [1, -2, 3, -4, 5, -6, 7, 8, 9, 10, 11, 12], 0);
  },
);

for (const kind of ["dropout", "spatialDropout1d"] as const) {
  Deno.test(`dropout matches tfjs predict for ${kind} x=[2,3,2]`, () => {
    const input = tf.input({ shape: [3, 2] });
    const layer = kind === "dropout"
      ? tf.layers.dropout({ rate: 0.5 })
      : tf.layers.spatialDropout1d({ rate: 0.5 });
    const model = tf.model({
      inputs: input,
      outputs: layer.apply(input) as tf.SymbolicTensor,
    });
    const [expected] = predict(model, X);
    const actual = dropout(X);
    assertClose(actual.data, expected!.data, 0, {
      actualShape: actual.shape,
      expectedShape: expected!.shape,
    });
    model.dispose();
  });
}
