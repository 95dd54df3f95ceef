import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "../_util/assert.ts";
import { initBackend } from "../../src/tfjs/backend.ts";
import { onBackend, randomArray, relTol, sizeOf } from "./_util.ts";

type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;

interface Case {
  x: [number, number, number, number];
  k: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 7, 6, 3], k: [3, 3, 3, 4], strides: [1, 1], pad: "valid" },
  { x: [2, 7, 6, 3], k: [3, 3, 3, 4], strides: [1, 1], pad: "same" },
  { x: [2, 7, 6, 3], k: [3, 3, 3, 4], strides: [2, 2], pad: "same" },
  { x: [1, 9, 9, 2], k: [2, 2, 2, 3], strides: [2, 2], pad: "valid" },
  { x: [3, 8, 5, 2], k: [4, 4, 2, 2], strides: [3, 3], pad: "same" },
  { x: [2, 11, 7, 3], k: [5, 3, 3, 2], strides: [2, 3], pad: "same" },
  { x: [2, 10, 10, 3], k: [3, 3, 3, 2], strides: [3, 2], pad: "valid" },
  { x: [2, 5, 6, 4], k: [1, 1, 4, 3], strides: [1, 1], pad: "valid" },
  { x: [2, 6, 6, 2], k: [3, 3, 2, 2], strides: [2, 2], pad: 1 },
  {
    x: [1, 7, 8, 2],
    k: [3, 2, 2, 3],
    strides: [2, 1],
    pad: [[0, 0], [1, 2], [0, 1], [0, 0]],
  },
];

function label(c: Case): string {
  return `x=[${c.x}] k=[${c.k}] stride=[${c.strides}] pad=` +
    JSON.stringify(c.pad);
}

function outShape(c: Case): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    c.k,
    c.strides,
    1,
    c.pad,
  );
  return info.outShape;
}

for (const [i, c] of CASES.entries()) {
  Deno.test(`Conv2DBackpropFilter kernel matches cpu for ${label(c)}`, async () => {
    const xData = randomArray(sizeOf(c.x), 10 + i);
    const dyShape = outShape(c);
    const dyData = randomArray(sizeOf(dyShape), 100 + i);
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropFilter", {
        x: tf.tensor(xData, c.x),
        dy: tf.tensor(dyData, dyShape),
      }, {
        strides: c.strides,
        pad: c.pad,
        dataFormat: "NHWC",
        filterShape: c.k,
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const expected = await onBackend("cpu", run);
    const actual = await onBackend("wasm", run);
    assertClose(actual.data, expected.data, relTol(expected.data), {
      actualShape: actual.shape,
      expectedShape: expected.shape,
    });
  });

  Deno.test(`tf.grad of conv2d on wasm matches cpu for ${label(c)}`, async () => {
    const xData = randomArray(sizeOf(c.x), 20 + i);
    const kData = randomArray(sizeOf(c.k), 200 + i);
    // The loss weights each output differently so that a transposed or
    // shifted gradient cannot pass.
    const run = () => {
      const x = tf.tensor4d(xData, c.x);
      const k = tf.tensor4d(kData, c.k);
      const loss = (w: tf.Tensor) => {
        const y = tf.conv2d(x, w as tf.Tensor4D, c.strides, c.pad as "same");
        return y.mul(tf.range(0, y.size).reshape(y.shape).mul(0.01)).sum();
      };
      return tf.grad(loss)(k);
    };
    const expected = await onBackend("cpu", run);
    const actual = await onBackend("wasm", run);
    assertClose(actual.data, expected.data, relTol(expected.data), {
      actualShape: actual.shape,
      expectedShape: expected.shape,
    });
  });
}

Deno.test("Conv2DBackpropFilter on wasm by hand: x=[1,3,3,1] k=[2,2,1,1] stride=1 valid", async () => {
  await initBackend("wasm");
  // x = 1..9 row-major, dy = ones [1,2,2,1]: dW[i,j] sums the 2x2 window of
  // x starting at (i, j): dW[0,0] = 1+2+4+5 = 12, dW[0,1] = 2+3+5+6 = 16,
  // dW[1,0] = 4+5+7+8 = 24, dW[1,1] = 5+6+8+9 = 28.
  const dw = tf.tidy(() =>
    tf.engine().runKernel("Conv2DBackpropFilter", {
      x: tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]),
      dy: tf.ones([1, 2, 2, 1]),
    }, {
      strides: [1, 1],
      pad: "valid",
      dataFormat: "NHWC",
      filterShape: [2, 2, 1, 1],
    }) as tf.Tensor
  );
  assertClose(await dw.data(), [12, 16, 24, 28], 1e-6, {
    actualShape: dw.shape,
    expectedShape: [2, 2, 1, 1],
  });
  dw.dispose();
});

Deno.test("Conv2DBackpropFilter on wasm frees its intermediates: x=[2,9,9,3] k=[3,3,3,4] stride=2 same", async () => {
  await initBackend("wasm");
  const x = tf.tensor4d(randomArray(2 * 9 * 9 * 3, 1), [2, 9, 9, 3]);
  const dy = tf.tensor4d(randomArray(2 * 5 * 5 * 4, 2), [2, 5, 5, 4]);
  const backend = tf.backend();
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = backend.numDataIds();
  for (let step = 0; step < 3; step++) {
    const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: [2, 2],
      pad: "same",
      dataFormat: "NHWC",
      filterShape: [3, 3, 3, 4],
    }) as tf.Tensor;
    dw.dispose();
  }
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(backend.numDataIds(), dataBefore);
  assert.equal(x.isDisposed, false);
  assert.equal((await x.data()).length, 2 * 9 * 9 * 3);
  tf.dispose([x, dy]);
});

Deno.test("Conv2DBackpropFilter on wasm rejects NCHW and a dy of the wrong shape", async () => {
  await initBackend("wasm");
  const x = tf.zeros([1, 4, 4, 1]);
  const attrs = {
    strides: [1, 1],
    pad: "valid",
    dataFormat: "NHWC",
    filterShape: [2, 2, 1, 1],
  };
  assert.throws(
    () =>
      tf.engine().runKernel("Conv2DBackpropFilter", {
        x,
        dy: tf.zeros([1, 3, 3, 1]),
      }, { ...attrs, dataFormat: "NCHW" } as unknown as tf.NamedAttrMap),
    /dataFormat 'NCHW' is not supported/,
  );
  assert.throws(
    () =>
      tf.engine().runKernel("Conv2DBackpropFilter", {
        x,
        dy: tf.zeros([1, 2, 2, 1]),
      }, attrs as unknown as tf.NamedAttrMap),
    /dy has shape \[1,2,2,1\], expected \[1,3,3,1\]/,
  );
  x.dispose();
});
