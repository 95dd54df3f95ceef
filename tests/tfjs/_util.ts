/**
 * Helpers shared by the TensorFlow.js kernel tests: seeded random data, and
 * running the same computation on the `wasm` and `cpu` backends.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../../src/tfjs/backend.ts";

/** `n` floats in [-1, 1) from a seeded mulberry32 generator. */
export function randomArray(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = 2 * u - 1;
  }
  return out;
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A result read back from a backend: values and shape. */
export interface Read {
  data: Float32Array;
  shape: number[];
}

/**
 * Runs `fn` with `backend` active and reads its tensor result back; every
 * tensor made inside is disposed afterwards.
 */
export async function onBackend(
  backend: BackendName,
  fn: () => tf.Tensor,
): Promise<Read> {
  await initBackend(backend);
  const out = tf.tidy(fn);
  const data = new Float32Array(await out.data());
  const shape = [...out.shape];
  out.dispose();
  return { data, shape };
}

/** Absolute tolerance for a relative error `rel` of the largest value. */
export function relTol(expected: ArrayLike<number>, rel = 1e-4): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    max = Math.max(max, Math.abs(expected[i]!));
  }
  return rel * Math.max(1, max);
}
