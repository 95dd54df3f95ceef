/**
 * Training throughput on the `wasm` backend, one core.
 *
 * Each iteration is one Adam step (`model.trainOnBatch`) on a batch of 32:
 * - CNN on random 32x32x3 images: samples/s = 32 / (time per iteration);
 *   target >= 250 samples/s, i.e. <= 128 ms per iteration.
 * - Bidirectional LSTM on random token ids: an epoch of 500 sentences is
 *   16 batches (15 of 32 and one of 20), so seconds per epoch is about
 *   15.6 x (time per iteration); target <= 10 s, i.e. <= 640 ms.
 *
 * Run with `deno bench -A bench/train_bench.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/tfjs/backend.ts";

const BATCH = 32;

/** Conv2D 32/64/128 3x3 relu valid, each + 2x2 max pool; Dense 128, 10. */
export function benchCnn(): tf.Sequential {
  const model = tf.sequential();
  for (const [i, filters] of [32, 64, 128].entries()) {
    model.add(tf.layers.conv2d({
      ...(i === 0 ? { inputShape: [32, 32, 3] } : {}),
      filters,
      kernelSize: 3,
      padding: "valid",
      activation: "relu",
    }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 128, activation: "relu" }));
  model.add(tf.layers.dense({ units: 10, activation: "softmax" }));
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: "sparseCategoricalCrossentropy",
  });
  return model;
}

/** Embedding 8000 x 128, bidirectional LSTM 64, Dense 3 softmax. */
export function benchLstm(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.embedding({
    inputDim: 8000,
    outputDim: 128,
    inputLength: 80,
  }));
  model.add(tf.layers.bidirectional({
    layer: tf.layers.lstm({ units: 64 }) as tf.RNN,
  }));
  model.add(tf.layers.dense({ units: 3, activation: "softmax" }));
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: "sparseCategoricalCrossentropy",
  });
  return model;
}

await initBackend("wasm");

const cnn = benchCnn();
const images = tf.randomUniform([BATCH, 32, 32, 3]);
const imageLabels = tf.randomUniform([BATCH], 0, 10, "int32").cast("float32");

Deno.bench({
  name: "CNN 32/64/128 one Adam step, batch 32 of 32x32x3",
  group: "train",
  warmup: 3,
  n: 30,
  async fn() {
    await cnn.trainOnBatch(images, imageLabels);
  },
});

const lstm = benchLstm();
const tokens = tf.randomUniform([BATCH, 80], 0, 8000, "int32");
const tokenLabels = tf.randomUniform([BATCH], 0, 3, "int32").cast("float32");

Deno.bench({
  name: "BiLSTM 64 over embedding 128, one Adam step, batch 32 x 80 tokens",
  group: "train",
  warmup: 2,
  n: 10,
  async fn() {
    await lstm.trainOnBatch(tokens, tokenLabels);
  },
});
