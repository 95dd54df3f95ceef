import assert from "node:assert/strict";
import {
  buildModel,
  predict,
  predictWithLayers,
} from "../../src/engine/model.ts";
import { loadModel } from "../../src/engine/mod.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { fileLoader, fileSaver } from "../../src/tfjs/io.ts";
import { assertClose } from "../_util/assert.ts";
import { expectParity } from "./_parity.ts";
import {
  randomizeWeights,
  randomTensor,
  saveToMemory,
  tf,
  tfjsPredict,
  tfl,
} from "./_tfjs.ts";

function cnn(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [8, 8, 3],
        filters: 4,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({
        filters: 6,
        kernelSize: 3,
        strides: 2,
        padding: "valid",
        activation: "relu",
        useBias: false,
      }),
      tfl.layers.dropout({ rate: 0.3 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 5 }),
      tfl.layers.activation({ activation: "softmax" }),
    ],
  });
}

Deno.test("CNN x=[7,8,8,3] conv-pool-conv-dropout-flatten-dense-softmax matches tfjs", async () => {
  await expectParity(cnn(), [7, 8, 8, 3], 101);
});

Deno.test("functional chain x=[5,6,6,2] conv-avgpool-globalavg-dense matches tfjs", async () => {
  const input = tfl.input({ shape: [6, 6, 2] });
  let h = tfl.layers.conv2d({ filters: 3, kernelSize: 2, activation: "tanh" })
    .apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.averagePooling2d({ poolSize: 2, padding: "same" }).apply(
    h,
  ) as tfl.SymbolicTensor;
  h = tfl.layers.globalAveragePooling2d({}).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 4, activation: "softmax" }).apply(
    h,
  ) as tfl.SymbolicTensor;
  await expectParity(
    tfl.model({ inputs: input, outputs: out }),
    [5, 6, 6, 2],
    111,
  );
});

Deno.test("a frozen first layer's weights come last in the manifest, x=[4,5]", async () => {
  const first = tfl.layers.dense({
    inputShape: [5],
    units: 3,
    activation: "relu",
  });
  const model = tfl.sequential({
    layers: [first, tfl.layers.dense({ units: 3, activation: "softmax" })],
  });
  first.trainable = false;
  await expectParity(model, [4, 5], 121);
});

Deno.test("embedding mask_zero -> dropout -> LSTM / bidirectional SimpleRNN match tfjs, ids=[4,6]", async () => {
  // Trailing zeros are padding; the mask must reach the recurrent layers.
  const ids = tensor(
    [4, 6],
    Float32Array.of(
      3,
      1,
      4,
      0,
      0,
      0,
      2,
      7,
      1,
      8,
      2,
      8,
      5,
      0,
      0,
      0,
      0,
      0,
      9,
      9,
      1,
      2,
      0,
      0,
    ),
  );
  const model = tfl.sequential({
    layers: [
      tfl.layers.embedding({
        inputDim: 10,
        outputDim: 4,
        maskZero: true,
        inputLength: 6,
      }),
      tfl.layers.spatialDropout1d({ rate: 0.2 }),
      tfl.layers.bidirectional({
        layer: tfl.layers.simpleRNN({
          units: 3,
          returnSequences: true,
        }) as tfl.RNN,
        mergeMode: "concat",
      }),
      tfl.layers.lstm({ units: 4 }),
      tfl.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  await expectParity(model, ids, 131);
});

Deno.test("a mask reaching Flatten is dropped, as tfjs does: Embedding mask_zero -> Flatten -> Dense, ids=[3,4]", async () => {
  // tfjs builds and runs this model (Keras would raise); the padding steps'
  // embeddings (row 0) are flattened like any other step.
  const ids = tensor(
    [3, 4],
    Float32Array.of(1, 2, 0, 0, 5, 0, 0, 0, 3, 4, 5, 6),
  );
  const model = tfl.sequential({
    layers: [
      tfl.layers.embedding({
        inputDim: 8,
        outputDim: 3,
        maskZero: true,
        inputLength: 4,
      }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  await expectParity(model, ids, 141);
});

Deno.test("predict in batches of 3 equals one batch and predictWithLayers names every layer", async () => {
  const model = cnn();
  randomizeWeights(model, 141);
  const { json, bytes } = await saveToMemory(model);
  const engine = buildModel(json, [bytes]);
  const x = randomTensor([7, 8, 8, 3], 142);
  const all = predictWithLayers(engine, x);
  assert.deepEqual(all.map((l) => l.className), [
    "Conv2D",
    "MaxPooling2D",
    "Conv2D",
    "Dropout",
    "Flatten",
    "Dense",
    "Activation",
  ]);
  assert.deepEqual(all.map((l) => l.output.shape), [
    [7, 8, 8, 4],
    [7, 4, 4, 4],
    [7, 1, 1, 6],
    [7, 1, 1, 6],
    [7, 6],
    [7, 5],
    [7, 5],
  ]);
  assertClose(
    predict(engine, x, { batchSize: 3 }).data,
    all[6]!.output.data,
    0,
  );
  assert.throws(
    () => predict(engine, randomTensor([2, 8, 8, 1], 1)),
    /expects input \[batch, 8, 8, 3\], got \[2, 8, 8, 1\]/,
  );
});

Deno.test("round trip: tfjs save through fileSaver in 3+ shards, engine and tfjs load it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "engine_io_" });
  try {
    const model = cnn();
    randomizeWeights(model, 151);
    await model.save(fileSaver(dir, { shardBytes: 500 }));
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    const paths: string[] = json.weightsManifest[0].paths;
    assert.ok(paths.length >= 3, `expected several shards, got ${paths}`);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(
      names,
      ["model.json", ...paths].sort(),
      "no temp files left",
    );

    const x = randomTensor([4, 8, 8, 3], 152);
    const engine = await loadModel(dir);
    const expected = tfjsPredict(model, x);
    assertClose(predict(engine, x).data, expected, 1e-5);
    const reloaded = await tfl.loadLayersModel(fileLoader(dir));
    assertClose(tfjsPredict(reloaded, x), expected, 0);
    tf.dispose(reloaded.getWeights());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
