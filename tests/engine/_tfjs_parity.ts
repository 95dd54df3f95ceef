/**
 * Test helpers for parity of the recurrent engine with TensorFlow.js: a
 * seeded random source, random weights set on a tfjs model, and conversion
 * of tfjs tensors to engine tensors. Only tests import this file; the
 * engine itself never imports TensorFlow.js.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { type Tensor, tensor } from "../../src/engine/tensor.ts";

await tf.setBackend("cpu");

export { tf };

/** tfjs layer-argument names of the activations, by their saved name. */
export const TFJS_ACTIVATION = {
  tanh: "tanh",
  sigmoid: "sigmoid",
  hard_sigmoid: "hardSigmoid",
  relu: "relu",
  linear: "linear",
} as const;

/** A saved activation name the parity tests use. */
export type ActivationName = keyof typeof TFJS_ACTIVATION;

/**
 * A seeded uniform source on `[lo, hi)` (mulberry32), so a failing parity
 * test fails the same way on every run.
 */
export function uniform(seed: number, lo = -0.5, hi = 0.5): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + (hi - lo) * u;
  };
}

/** A random engine tensor of `shape` drawn from `rand`. */
export function randomTensor(
  shape: readonly number[],
  rand: () => number,
): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rand();
  return t;
}

/** Copies a tfjs tensor into an engine tensor. */
export function fromTf(t: tf.Tensor): Tensor {
  return tensor(t.shape, Float32Array.from(t.dataSync()));
}

/** Makes a tfjs float32 tensor from an engine tensor. */
export function toTf(t: Tensor): tf.Tensor {
  return tf.tensor(t.data, [...t.shape], "float32");
}

/**
 * Replaces every weight of every layer of `model` with values from `rand`
 * (tfjs initialises biases to zero, which would hide bias bugs) and returns
 * them per layer, in the order tfjs lists them (for a recurrent layer:
 * kernel, recurrent kernel, bias; Bidirectional: forward then backward).
 */
export function randomizeWeights(
  model: tf.LayersModel,
  rand: () => number,
): Tensor[][] {
  return model.layers.map((layer) => {
    const weights = layer.getWeights().map((w) => randomTensor(w.shape, rand));
    if (weights.length > 0) layer.setWeights(weights.map(toTf));
    return weights;
  });
}

/** Runs `model.predict` on one input and copies every output out. */
export function predict(model: tf.LayersModel, x: Tensor): Tensor[] {
  const input = toTf(x);
  const out = model.predict(input);
  const outputs = Array.isArray(out) ? out : [out];
  const copies = outputs.map(fromTf);
  tf.dispose([input, ...outputs]);
  return copies;
}

/**
 * Token ids `[4, 6]` with every kind of padding: leading, trailing,
 * interior, and a sequence that is all padding. Ids are in `[0, 7)`.
 */
export const PADDED_IDS: Tensor = tensor(
  [4, 6],
  Float32Array.from([
    [0, 0, 3, 5, 1, 2],
    [4, 2, 6, 0, 0, 0],
    [1, 0, 2, 0, 3, 4],
    [0, 0, 0, 0, 0, 0],
  ].flat()),
);

/** Vocabulary size `PADDED_IDS` needs. */
export const PADDED_VOCAB = 7;
