/**
 * The from-scratch forward engine: runs a TensorFlow.js layers-model
 * (`model.json` + weight shards) in plain TypeScript, without TensorFlow.js.
 *
 * ```ts
 * import { loadModel, predict, tensor } from "./src/engine/mod.ts";
 *
 * const model = await loadModel("outputs/best/cnn/model");
 * // Two 32x32 RGB images, NHWC [batch, height, width, channels].
 * const x = tensor([2, 32, 32, 3], new Float32Array(2 * 32 * 32 * 3));
 * const probs = predict(model, x, { batchSize: 64 }); // [2, classes]
 * ```
 *
 * In a browser, fetch the files and call `loadModelFromBytes` instead.
 *
 * @module
 */
import { buildModel, type Model } from "./model.ts";

export { ModelFormatError } from "./format.ts";
export {
  type LayerOutput,
  type Model,
  predict,
  predictWithLayers,
} from "./model.ts";
export { type Tensor, tensor } from "./tensor.ts";

/**
 * Loads a saved model from a folder (Deno only).
 *
 * @param dir folder with `model.json` and the shards it lists.
 * @throws {ModelFormatError} for a file the engine cannot run exactly.
 */
export async function loadModel(dir: string): Promise<Model> {
  // Imported lazily so a browser bundle never pulls in the Deno file APIs.
  const { loadModelFromDir } = await import("./fs.ts");
  return loadModelFromDir(dir);
}

/**
 * Builds a model from `model.json` (parsed or text) and its weight shards,
 * given in the order of the manifest's `paths`; works in a browser.
 *
 * @throws {ModelFormatError} for a file the engine cannot run exactly.
 */
export function loadModelFromBytes(
  modelJson: object | string,
  shards: Uint8Array[],
): Model {
  return buildModel(modelJson, shards);
}
