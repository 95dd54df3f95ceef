/**
 * The engine's only file-system access: reads a saved layers-model folder.
 *
 * @module
 */
import { ModelFormatError, parseManifest } from "./format.ts";
import { buildModel, type Model } from "./model.ts";

/**
 * Reads `dir/model.json` and every shard its manifest lists, in manifest
 * order, and builds the model.
 *
 * @param dir folder holding `model.json` and its `*.bin` shards.
 * @throws {ModelFormatError} if `model.json` is not valid JSON or a shard
 *   path leaves the folder; see {@link buildModel} for the rest.
 * @throws {Deno.errors.NotFound} if a file is missing.
 */
export async function loadModelFromDir(dir: string): Promise<Model> {
  const text = await Deno.readTextFile(`${dir}/model.json`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`not valid JSON (${(e as Error).message})`, {
      file: `${dir}/model.json`,
    });
  }
  const shards: Uint8Array[] = [];
  for (const path of parseManifest(json).paths) {
    if (path.startsWith("/") || path.split("/").includes("..")) {
      throw new ModelFormatError(
        `shard path "${path}" leaves the model folder`,
        { file: `${dir}/model.json` },
      );
    }
    shards.push(await Deno.readFile(`${dir}/${path}`));
  }
  try {
    return buildModel(json, shards);
  } catch (e) {
    // buildModel knows only file names; say which folder they are in.
    if (e instanceof ModelFormatError) throw e.inFolder(dir);
    throw e;
  }
}
