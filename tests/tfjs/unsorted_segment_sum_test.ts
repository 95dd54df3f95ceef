import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "../_util/assert.ts";
import { initBackend } from "../../src/tfjs/backend.ts";
import { onBackend, randomArray, relTol, sizeOf } from "./_util.ts";

function segmentSum(
  x: tf.Tensor,
  ids: number[],
  idShape: number[],
  numSegments: number,
): tf.Tensor {
  return tf.engine().runKernel("UnsortedSegmentSum", {
    x,
    segmentIds: tf.tensor(ids, idShape, "int32"),
  }, { numSegments }) as tf.Tensor;
}

Deno.test("UnsortedSegmentSum on wasm by hand: x=[4,2] ids=[1,0,1,2] 3 segments", async () => {
  await initBackend("wasm");
  // Rows 0 and 2 share segment 1: [1+5, 2+6] = [6, 8]; row 1 -> segment 0,
  // row 3 -> segment 2.
  const out = tf.tidy(() =>
    segmentSum(
      tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]),
      [1, 0, 1, 2],
      [4],
      3,
    )
  );
  assertClose(await out.data(), [3, 4, 6, 8, 7, 8], 0, {
    actualShape: out.shape,
    expectedShape: [3, 2],
  });
  out.dispose();
});

Deno.test("UnsortedSegmentSum on wasm drops ids outside [0, numSegments): x=[5] ids=[0,-1,3,1,0]", async () => {
  await initBackend("wasm");
  // Segment 0 gets x[0] + x[4] = 10 + 50 = 60, segment 1 gets x[3] = 40;
  // ids -1 and 3 (numSegments is 3) are dropped; segment 2 stays 0.
  const out = tf.tidy(() =>
    segmentSum(tf.tensor1d([10, 20, 30, 40, 50]), [0, -1, 3, 1, 0], [5], 3)
  );
  assertClose(await out.data(), [60, 40, 0], 0, {
    actualShape: out.shape,
    expectedShape: [3],
  });
  const expected = await onBackend(
    "cpu",
    () =>
      segmentSum(tf.tensor1d([10, 20, 30, 40, 50]), [0, -1, 3, 1, 0], [5], 3),
  );
  assertClose(await out.data(), expected.data, 0);
  out.dispose();
});

const CASES = [
  { x: [6, 3], idShape: [6], numSegments: 4 },
  { x: [10, 2, 3], idShape: [10], numSegments: 5 },
  { x: [9], idShape: [9], numSegments: 2 },
];

for (const [i, c] of CASES.entries()) {
  Deno.test(`UnsortedSegmentSum on wasm matches cpu for x=[${c.x}] ids=[${c.idShape}] numSegments=${c.numSegments}`, async () => {
    const xData = randomArray(sizeOf(c.x), 30 + i);
    const ids = Array.from(
      randomArray(sizeOf(c.idShape), 300 + i),
      (u) => Math.floor((u + 1) / 2 * c.numSegments),
    );
    const run = () =>
      segmentSum(tf.tensor(xData, c.x), ids, c.idShape, c.numSegments);
    const expected = await onBackend("cpu", run);
    const actual = await onBackend("wasm", run);
    assertClose(actual.data, expected.data, relTol(expected.data), {
      actualShape: actual.shape,
      expectedShape: expected.shape,
    });
  });
}

Deno.test("UnsortedSegmentSum on wasm with rank-2 ids matches a loop: x=[3,4,5] ids=[3,4] numSegments=7", async () => {
  // The cpu kernel mis-broadcasts rank-2 ids in tfjs 4.22, so the reference
  // is a plain loop: out[ids[r], :] += x[r, :] over the 12 rows of x
  // flattened to [12, 5].
  await initBackend("wasm");
  const xData = randomArray(60, 50);
  const ids = Array.from(
    randomArray(12, 500),
    (u) => Math.floor((u + 1) / 2 * 7),
  );
  const expected = new Float32Array(7 * 5);
  for (const [row, id] of ids.entries()) {
    for (let col = 0; col < 5; col++) {
      expected[id * 5 + col]! += xData[row * 5 + col]!;
    }
  }
  const out = tf.tidy(() =>
    segmentSum(tf.tensor(xData, [3, 4, 5]), ids, [3, 4], 7)
  );
  assertClose(await out.data(), expected, 1e-5, {
    actualShape: out.shape,
    expectedShape: [7, 5],
  });
  out.dispose();
});

const GATHERS = [
  { x: [8, 5], indices: [2, 7, 2, 0, 2], axis: 0 },
  { x: [4, 6, 3], indices: [5, 0, 5, 1], axis: 1 },
  { x: [20, 4], indices: [3, 3, 3, 19, 0, 11], axis: 0 },
];

for (const [i, c] of GATHERS.entries()) {
  Deno.test(`tf.grad of gather on wasm matches cpu for x=[${c.x}] indices=[${c.indices}] axis=${c.axis}`, async () => {
    const xData = randomArray(sizeOf(c.x), 40 + i);
    const run = () => {
      const x = tf.tensor(xData, c.x);
      const indices = tf.tensor1d(c.indices, "int32");
      const loss = (p: tf.Tensor) => {
        const y = tf.gather(p, indices, c.axis);
        // Position-dependent weights: a permuted gradient cannot pass.
        return y.square().mul(tf.range(1, y.size + 1).reshape(y.shape)).sum();
      };
      return tf.grad(loss)(x);
    };
    const expected = await onBackend("cpu", run);
    const actual = await onBackend("wasm", run);
    assertClose(actual.data, expected.data, relTol(expected.data), {
      actualShape: actual.shape,
      expectedShape: expected.shape,
    });
  });
}

Deno.test("UnsortedSegmentSum on wasm frees its intermediates, with and without out-of-range ids", async () => {
  await initBackend("wasm");
  const x = tf.tensor2d(randomArray(12, 5), [4, 3]);
  const backend = tf.backend();
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = backend.numDataIds();
  for (const ids of [[0, 1, 1, 2], [0, 5, -2, 2]]) {
    tf.tidy(() => {
      segmentSum(x, ids, [4], 3);
    });
  }
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(backend.numDataIds(), dataBefore);
  assert.equal((await x.data()).length, 12);
  x.dispose();
});

Deno.test("UnsortedSegmentSum on wasm rejects segmentIds that are not a prefix of x's shape", async () => {
  await initBackend("wasm");
  const x = tf.zeros([4, 3]);
  assert.throws(
    () => segmentSum(x, [0, 1, 2], [3], 3),
    /segmentIds shape \[3\] must be a prefix of x's shape \[4,3\]/,
  );
  x.dispose();
});
