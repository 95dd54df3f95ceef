import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "../_util/assert.ts";
import { initBackend } from "../../src/tfjs/backend.ts";
import { onBackend, randomArray, relTol, sizeOf } from "./_util.ts";

async function parity(fn: () => tf.Tensor, msg: string): Promise<void> {
  const expected = await onBackend("cpu", fn);
  const actual = await onBackend("wasm", fn);
  assertClose(actual.data, expected.data, relTol(expected.data), {
    actualShape: actual.shape,
    expectedShape: expected.shape,
    msg,
  });
}

const MATMULS = [
  { a: [5, 7], b: [7, 3], ta: false, tb: false },
  { a: [7, 5], b: [7, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 7], ta: false, tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [1, 6, 4], b: [1, 6, 2], ta: true, tb: false },
  { a: [3, 4, 6], b: [3, 2, 6], ta: false, tb: true },
] as const;

for (const [i, c] of MATMULS.entries()) {
  Deno.test(`BatchMatMul on wasm matches cpu for a=[${c.a}] b=[${c.b}] transposeA=${c.ta} transposeB=${c.tb}`, async () => {
    const aData = randomArray(sizeOf(c.a), 60 + i);
    const bData = randomArray(sizeOf(c.b), 600 + i);
    await parity(
      () =>
        tf.matMul(
          tf.tensor(aData, [...c.a]),
          tf.tensor(bData, [...c.b]),
          c.ta,
          c.tb,
        ),
      "matMul",
    );
  });
}

const BACKPROP_INPUT = [
  { x: [2, 7, 6, 3], k: [3, 3, 3, 4], s: [1, 1], pad: "valid" },
  { x: [2, 7, 6, 3], k: [3, 3, 3, 4], s: [1, 1], pad: "same" },
  { x: [2, 7, 6, 3], k: [3, 3, 3, 4], s: [2, 2], pad: "same" },
  { x: [1, 9, 8, 2], k: [2, 3, 2, 3], s: [2, 3], pad: "valid" },
  { x: [2, 5, 5, 2], k: [1, 1, 2, 3], s: [2, 2], pad: "same" },
  { x: [1, 10, 9, 2], k: [4, 4, 2, 2], s: [3, 2], pad: "same" },
] as const;

for (const [i, c] of BACKPROP_INPUT.entries()) {
  Deno.test(`Conv2DBackpropInput on wasm matches cpu for x=[${c.x}] k=[${c.k}] stride=[${c.s}] ${c.pad}`, async () => {
    const xData = randomArray(sizeOf(c.x), 70 + i);
    const kData = randomArray(sizeOf(c.k), 700 + i);
    await parity(() => {
      const k = tf.tensor4d(kData, [...c.k]);
      const loss = (x: tf.Tensor) => {
        const y = tf.conv2d(x as tf.Tensor4D, k, [...c.s], c.pad);
        return y.mul(tf.range(0, y.size).reshape(y.shape).mul(0.01)).sum();
      };
      return tf.grad(loss)(tf.tensor4d(xData, [...c.x]));
    }, "dx");
  });
}

Deno.test("Slice, SplitV and Unpack on wasm match cpu for x=[3,4,5] (contiguous and strided)", async () => {
  const data = randomArray(60, 80);
  const x = () => tf.tensor3d(data, [3, 4, 5]);
  await parity(() => tf.slice(x(), [1, 0, 0], [2, 4, 5]), "contiguous");
  await parity(() => tf.slice(x(), [0, 1, 2], [3, 2, 3]), "strided");
  await parity(() => tf.slice(x(), [2, 3, 4], [1, 1, 1]), "one value");
  await parity(() => tf.slice(x(), [0, 0, 0], [3, 0, 5]), "empty");
  // Pieces flattened and joined, so that every piece's values and order count.
  const join = (pieces: tf.Tensor[]) =>
    tf.concat(pieces.map((p) => p.flatten()));
  await parity(() => join(tf.split(x(), [1, 3, 1], 2)), "splitV axis 2");
  await parity(() => join(tf.split(x(), 2, 1)), "split axis 1");
  await parity(() => join(tf.unstack(x(), 1)), "unstack axis 1");
  await parity(() => join(tf.unstack(x(), 0)), "unstack axis 0");
  await parity(
    () =>
      tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], "int32"), [0, 1], [2, 2])
        .toFloat(),
    "int32",
  );
});

Deno.test("overridden wasm kernels free their intermediates", async () => {
  await initBackend("wasm");
  const a = tf.tensor2d(randomArray(12, 1), [4, 3]);
  const dy = tf.tensor4d(randomArray(2 * 3 * 3 * 2, 2), [2, 3, 3, 2]);
  const k = tf.tensor4d(randomArray(3 * 3 * 1 * 2, 3), [3, 3, 1, 2]);
  const backend = tf.backend();
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = backend.numDataIds();
  tf.tidy(() => {
    tf.matMul(a, a, true, false);
    tf.matMul(a, a, false, true);
    tf.conv2dTranspose(dy, k, [2, 6, 6, 1], 2, "same");
    tf.unstack(a, 1);
    tf.split(a, 3, 1);
  });
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(backend.numDataIds(), dataBefore);
  tf.dispose([a, dy, k]);
});
