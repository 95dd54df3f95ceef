/**
 * File-system save and load handlers for TensorFlow.js layers models in
 * Deno (tfjs-node has them; the pure-JS packages do not).
 *
 * The files match what `tf.io.browserFiles` and the engine read:
 * `model.json` with a `weightsManifest` and one or more weight shards holding
 * the raw little-endian values back to back.
 *
 * @module
 */
import { io } from "@tensorflow/tfjs-core";

/** Options of {@link fileSaver}. */
export interface SaveOptions {
  /**
   * Split the weights into shards of at most this many bytes, named
   * `weights.<i>.bin`; by default one `weights.bin`. Shards cut at byte
   * boundaries, not between weights, as the tfjs converter's do.
   */
  shardBytes?: number;
}

/**
 * An `IOHandler` for `model.save(fileSaver(dir))`: writes `dir/model.json`
 * and the weight shards, each to a temporary name first and then renamed, so
 * a reader never sees a half-written file; `model.json` comes last.
 *
 * @throws {RangeError} (from `save`) if `shardBytes` is not a positive
 *   integer, or the artifacts carry no JSON topology.
 */
export function fileSaver(
  dir: string,
  options: SaveOptions = {},
): io.IOHandler {
  const shardBytes = options.shardBytes ?? Infinity;
  if (
    !(shardBytes === Infinity ||
      (Number.isInteger(shardBytes) && shardBytes > 0))
  ) {
    throw new RangeError(
      `fileSaver: shardBytes ${shardBytes} is not an integer > 0`,
    );
  }
  return {
    save: async (artifacts: io.ModelArtifacts): Promise<io.SaveResult> => {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new RangeError(
          "fileSaver: a binary (GraphDef) topology is not supported",
        );
      }
      const weights = joinWeights(artifacts.weightData);
      const shards = splitShards(weights, shardBytes);
      const paths = shards.length === 1
        ? ["weights.bin"]
        : shards.map((_, i) => `weights.${i}.bin`);
      await Deno.mkdir(dir, { recursive: true });
      for (const [i, shard] of shards.entries()) {
        await writeAtomic(`${dir}/${paths[i]}`, shard);
      }
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        ...(artifacts.trainingConfig
          ? { trainingConfig: artifacts.trainingConfig }
          : {}),
        ...(artifacts.userDefinedMetadata
          ? { userDefinedMetadata: artifacts.userDefinedMetadata }
          : {}),
        weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
      };
      const text = new TextEncoder().encode(JSON.stringify(modelJson));
      await writeAtomic(`${dir}/model.json`, text);
      return {
        modelArtifactsInfo: io.getModelArtifactsInfoForJSON(artifacts),
      };
    },
  };
}

/**
 * An `IOHandler` for `tf.loadLayersModel(fileLoader(dir))`: reads
 * `dir/model.json` and every shard its manifest lists.
 */
export function fileLoader(dir: string): io.IOHandler {
  return {
    load: async (): Promise<io.ModelArtifacts> => {
      const json = JSON.parse(
        await Deno.readTextFile(`${dir}/model.json`),
      ) as io.ModelJSON;
      return io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const bytes = await Deno.readFile(`${dir}/${path}`);
            buffers.push(bytes.slice().buffer);
          }
        }
        return [specs, buffers];
      });
    },
  };
}

function joinWeights(data: io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (Array.isArray(data)) {
    return new Uint8Array(io.CompositeArrayBuffer.join(data));
  }
  return new Uint8Array(data);
}

function splitShards(bytes: Uint8Array, shardBytes: number): Uint8Array[] {
  if (bytes.byteLength <= shardBytes) return [bytes];
  const shards: Uint8Array[] = [];
  for (let start = 0; start < bytes.byteLength; start += shardBytes) {
    shards.push(bytes.subarray(start, start + shardBytes));
  }
  return shards;
}

async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    await Deno.writeFile(temp, data);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  }
}
