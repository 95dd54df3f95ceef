/**
 * Tiny TensorFlow.js models for the compare and predict tests, built with
 * seeded random weights and saved with the project's `fileSaver`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fileSaver } from "../../src/tfjs/io.ts";
import { initBackend } from "../../src/tfjs/backend.ts";

await initBackend("wasm");

export { tf };

/** Deterministic uniform values in [lo, hi) (LCG; tests only). */
export function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return out;
}

/** Gives every weight seeded values in [-0.5, 0.5). */
function randomize(model: tf.LayersModel, seed: number): void {
  model.setWeights(
    model.getWeights().map((w, i) =>
      tf.tensor(seeded(w.size, seed + 7919 * i, -0.5, 0.5), w.shape)
    ),
  );
}

/**
 * A small image classifier: Conv2D(4, 3x3, relu) `[h, w, 3]` -> MaxPool 2x2
 * -> Flatten -> Dense(classes, softmax), saved to `dir`.
 *
 * @returns the layer names in model order.
 */
export async function saveTinyCnn(
  dir: string,
  size = 8,
  classes = 5,
  seed = 3,
): Promise<string[]> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [size, size, 3],
        filters: 4,
        kernelSize: 3,
        activation: "relu",
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: classes, activation: "softmax" }),
    ],
  });
  randomize(model, seed);
  await model.save(fileSaver(dir));
  const names = model.layers.map((l) => l.name);
  model.dispose();
  return names;
}

/**
 * A small text classifier: Embedding(vocab, 4) over `[length]` ids ->
 * LSTM(3) -> Dense(3, softmax), saved to `dir`.
 */
export async function saveTinyLstm(
  dir: string,
  vocab: number,
  length: number,
  seed = 5,
): Promise<void> {
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({
        inputDim: vocab,
        outputDim: 4,
        inputLength: length,
        inputShape: [length],
        // maskZero left unset on purpose: tfjs then saves mask_zero: null,
        // which it treats as false, and so must the engine.
      }),
      tf.layers.lstm({ units: 3 }),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  randomize(model, seed);
  await model.save(fileSaver(dir));
  model.dispose();
}

/** tfjs's own prediction of a saved model, for comparisons. */
export async function tfjsPredictSaved(
  dir: string,
  x: Float32Array,
  shape: number[],
  dtype: "float32" | "int32" = "float32",
): Promise<{ shape: number[]; data: Float32Array }> {
  const { fileLoader } = await import("../../src/tfjs/io.ts");
  const model = await tf.loadLayersModel(fileLoader(dir));
  const out = tf.tidy(() => {
    const input = dtype === "int32"
      ? tf.tensor(Int32Array.from(x), shape, "int32")
      : tf.tensor(x, shape);
    const y = model.predict(input) as tf.Tensor;
    return { shape: y.shape, data: y.dataSync() as Float32Array };
  });
  model.dispose();
  return out;
}
