/**
 * Parity check shared by the layer tests: the engine and TensorFlow.js run
 * the same saved model on the same batch.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildModel, predict } from "../../src/engine/model.ts";
import { assertClose } from "../_util/assert.ts";
import {
  argmaxRows,
  randomizeWeights,
  randomTensor,
  saveToMemory,
  tfjsPredict,
  type tfl,
} from "./_tfjs.ts";
import type { Tensor } from "../../src/engine/tensor.ts";

/**
 * Randomizes `model`'s weights, saves it, loads it with the engine and
 * checks outputs on `x` (random `[batch, ...]` when a shape is given):
 * max abs diff <= 1e-5 and, for rank-2 outputs, identical argmax.
 */
export async function expectParity(
  model: tfl.LayersModel,
  x: Tensor | number[],
  seed = 1,
  tol = 1e-5,
): Promise<void> {
  randomizeWeights(model, seed);
  const input = Array.isArray(x) ? randomTensor(x, seed + 1) : x;
  const { json, bytes } = await saveToMemory(model);
  const engine = buildModel(json, [bytes]);
  const actual = predict(engine, input, { batchSize: 3 });
  const expected = tfjsPredict(model, input);
  const outShape = model.outputs[0]!.shape.slice(1) as number[];
  assertClose(actual.data, expected, tol, {
    actualShape: actual.shape,
    expectedShape: [input.shape[0]!, ...outShape],
  });
  if (outShape.length === 1) {
    const cols = outShape[0]!;
    assert.deepEqual(argmaxRows(actual.data, cols), argmaxRows(expected, cols));
  }
}
