import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "../_util/assert.ts";
import { initBackend } from "../../src/tfjs/backend.ts";
import { randomArray, relTol } from "./_util.ts";

/** Conv + pooling + dense classifier on [batch, 10, 10, 3] images. */
function cnn(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({
    inputShape: [10, 10, 3],
    filters: 4,
    kernelSize: 3,
    activation: "relu",
  }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({
    filters: 5,
    kernelSize: 2,
    strides: 2,
    padding: "same",
    activation: "relu",
  }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 3, activation: "softmax" }));
  return model;
}

/** Embedding + LSTM classifier on [batch, 6] token ids below 30. */
function lstm(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.embedding({
    inputDim: 30,
    outputDim: 4,
    inputLength: 6,
  }));
  model.add(tf.layers.bidirectional({
    layer: tf.layers.lstm({ units: 3 }) as tf.RNN,
    mergeMode: "concat",
  }));
  model.add(tf.layers.dense({ units: 3, activation: "softmax" }));
  return model;
}

interface Batch {
  xData: Float32Array;
  xShape: number[];
  xDtype: "float32" | "int32";
  labels: number[];
}

const IMAGES: Batch = {
  xData: randomArray(4 * 10 * 10 * 3, 7),
  xShape: [4, 10, 10, 3],
  xDtype: "float32",
  labels: [0, 2, 1, 2],
};

const TOKENS: Batch = {
  // Token 5 appears several times so that its embedding row sums gradients.
  xData: Float32Array.from([
    [5, 1, 5, 9, 29, 0],
    [3, 5, 5, 2, 8, 14],
    [0, 0, 7, 5, 21, 5],
  ].flat()),
  xShape: [3, 6],
  xDtype: "int32",
  labels: [1, 0, 2],
};

/** Weights of `model` after `steps` SGD steps on `backend`. */
async function train(
  model: tf.Sequential,
  initial: tf.Tensor[],
  batch: Batch,
  backend: "wasm" | "cpu",
  steps: number,
): Promise<{ weights: Float32Array[]; losses: number[]; tensors: number[] }> {
  await initBackend(backend);
  model.setWeights(initial);
  model.compile({
    optimizer: tf.train.sgd(0.5),
    loss: "sparseCategoricalCrossentropy",
  });
  const x = tf.tensor(batch.xData, batch.xShape, batch.xDtype);
  const y = tf.tensor1d(batch.labels, "float32");
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let step = 0; step < steps; step++) {
    losses.push(await model.trainOnBatch(x, y) as number);
    tensors.push(tf.memory().numTensors);
  }
  tf.dispose([x, y]);
  const weights = model.getWeights().map((w) => new Float32Array(w.dataSync()));
  return { weights, losses, tensors };
}

for (
  const [name, build, batch] of [
    ["conv+pool+dense x=[4,10,10,3]", cnn, IMAGES],
    ["embedding+bidirectional LSTM x=[3,6]", lstm, TOKENS],
  ] as const
) {
  Deno.test(`${name}: 3 SGD steps on wasm match cpu, numTensors flat`, async () => {
    await initBackend("wasm");
    const model = build();
    const initial = model.getWeights().map((w) => w.clone());
    const onWasm = await train(model, initial, batch, "wasm", 3);
    const onCpu = await train(model, initial, batch, "cpu", 3);
    await initBackend("wasm");

    assert.equal(new Set(onWasm.tensors).size, 1, `${onWasm.tensors}`);
    assert.ok(
      onWasm.losses[2]! < onWasm.losses[0]!,
      `loss did not fall: ${onWasm.losses}`,
    );
    assertClose(onWasm.losses, onCpu.losses, 1e-4, { msg: "losses" });
    for (const [i, w] of onWasm.weights.entries()) {
      const expected = onCpu.weights[i]!;
      assertClose(w, expected, relTol(expected), { msg: `weight ${i}` });
    }
    tf.dispose(initial);
    model.dispose();
  });
}
