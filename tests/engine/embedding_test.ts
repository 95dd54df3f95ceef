import assert from "node:assert/strict";
import { embedding, maskFromIds } from "../../src/engine/embedding.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { assertClose } from "../_util/assert.ts";
import {
  PADDED_IDS,
  PADDED_VOCAB,
  predict,
  randomizeWeights,
  tf,
  uniform,
} from "./_tfjs_parity.ts";

const t = (shape: number[], values: number[]) =>
  tensor(shape, Float32Array.from(values));

// Row v of the table is [10 v, 10 v + 1].
const TABLE = t([4, 2], [0, 1, 10, 11, 20, 21, 30, 31]);

Deno.test("embedding by hand ids=[2,2] table=[4,2] gathers rows", () => {
  // ids [[3, 0], [1, 1]] -> rows 3, 0, 1, 1
  const y = embedding(t([2, 2], [3, 0, 1, 1]), TABLE);
  assertClose(y.data, [30, 31, 0, 1, 10, 11, 10, 11], 0, {
    actualShape: y.shape,
    expectedShape: [2, 2, 2],
  });
});

Deno.test("maskFromIds ids=[2,3] marks id 0 as padding", () => {
  const mask = maskFromIds(t([2, 3], [0, 5, 1, 2, 0, 0]));
  assert.deepEqual([...mask], [0, 1, 1, 1, 0, 0]);
});

Deno.test(
  "embedding ids=[2,2] rejects id 4 for vocab 4, naming the position",
  () => {
    assert.throws(
      () => embedding(t([2, 2], [3, 0, 1, 4]), TABLE),
      /Embedding: id 4 at \[batch 1, time 1\] is not an integer in \[0, 4\)/,
    );
    assert.throws(
      () => embedding(t([1, 2], [-1, 0]), TABLE),
      /id -1 at \[batch 0, time 0\]/,
    );
    assert.throws(
      () => embedding(t([1, 2], [0, 1.5]), TABLE),
      /id 1.5 at \[batch 0, time 1\]/,
    );
    assert.throws(
      () => embedding(t([4], [0, 1, 2, 3]), TABLE),
      /Embedding: ids must be \[batch, time\], got \[4\]/,
    );
  },
);

Deno.test(
  "embedding matches tfjs for ids=[4,6] vocab=7 dim=5 mask_zero",
  () => {
    const input = tf.input({ shape: [6] });
    const layer = tf.layers.embedding({
      inputDim: PADDED_VOCAB,
      outputDim: 5,
      maskZero: true,
    });
    const model = tf.model({
      inputs: input,
      outputs: layer.apply(input) as tf.SymbolicTensor,
    });
    const [table] = randomizeWeights(model, uniform(7))[1]!;
    const [expected] = predict(model, PADDED_IDS);
    const actual = embedding(PADDED_IDS, table!);
    assertClose(actual.data, expected!.data, 0, {
      actualShape: actual.shape,
      expectedShape: expected!.shape,
    });

    const ids = tf.tensor(PADDED_IDS.data, [4, 6]);
    const tfMask = layer.computeMask(ids) as tf.Tensor;
    assert.deepEqual(
      [...maskFromIds(PADDED_IDS)],
      [...tfMask.dataSync()].map(Number),
    );
    tf.dispose([ids, tfMask]);
    model.dispose();
  },
);
