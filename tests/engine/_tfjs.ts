/**
 * TensorFlow.js on the cpu backend for the engine's parity tests, and a
 * seeded random source for weights and inputs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// The union package registers the chained tensor ops (`Tensor.flatten`) that
// the orthogonal initializer of recurrent layers calls.
import "@tensorflow/tfjs";
import * as tfl from "@tensorflow/tfjs-layers";
import { type Tensor, tensor } from "../../src/engine/tensor.ts";

await tf.setBackend("cpu");

export { tf, tfl };

/** Deterministic uniform values in [lo, hi) (LCG; tests only). */
export function randomData(
  n: number,
  seed: number,
  lo = -1,
  hi = 1,
): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return out;
}

/** An engine tensor of seeded random values. */
export function randomTensor(shape: number[], seed: number): Tensor {
  return tensor(shape, randomData(shape.reduce((a, b) => a * b, 1), seed));
}

/** Gives every weight of `model` seeded random values in [-0.5, 0.5). */
export function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  model.setWeights(
    model.getWeights().map((w, i) =>
      tf.tensor(randomData(w.size, seed + 7919 * i, -0.5, 0.5), w.shape)
    ),
  );
}

/** Runs a tfjs model on an engine tensor, returning the values. */
export function tfjsPredict(model: tfl.LayersModel, x: Tensor): Float32Array {
  return tf.tidy(() => {
    const y = model.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor;
    return y.dataSync() as Float32Array;
  });
}

/** Index of the largest value in each row of `cols` values. */
export function argmaxRows(data: ArrayLike<number>, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * cols < data.length; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) {
      if (data[r * cols + c]! > data[r * cols + best]!) best = c;
    }
    out.push(best);
  }
  return out;
}

/** `model.json` object and weight bytes of a tfjs model, saved in memory. */
export async function saveToMemory(
  model: tfl.LayersModel,
): Promise<{ json: Record<string, unknown>; bytes: Uint8Array }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const a = artifacts!;
  const data = a.weightData ?? new ArrayBuffer(0);
  const bytes = new Uint8Array(
    Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data,
  );
  const json = {
    format: a.format,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }],
  };
  return { json: JSON.parse(JSON.stringify(json)), bytes };
}
