/**
 * Parsing and validation of a TensorFlow.js layers-model: the `model.json`
 * object and the bytes of its weight shards. Pure: no file system, so it runs
 * in a browser as well.
 *
 * The format, as tfjs-layers 4.22 `LayersModel.save` writes it
 * (src/engine/training.ts) with tfjs-core `io.encodeWeights`:
 * `{format: "layers-model", modelTopology, weightsManifest}`, where the
 * manifest is a list of groups `{paths, weights: [{name, shape, dtype}]}` and
 * the shards, read in manifest order (groups, then paths), hold the raw
 * little-endian values of every entry back to back with no padding.
 *
 * @module
 */
import { formatShape, sizeOf, type Tensor, tensor } from "./tensor.ts";

/** A malformed or unsupported model file, naming the file and the layer. */
export class ModelFormatError extends Error {
  /** The file at fault (`model.json`, or a shard path). */
  readonly file: string;
  /** Name of the layer at fault, when one is. */
  readonly layer: string | undefined;
  /** What is wrong, without the file and layer prefix. */
  readonly detail: string;

  /** Builds the error; the message is prefixed with file and layer. */
  constructor(message: string, where: { file: string; layer?: string }) {
    const layer = where.layer === undefined ? "" : ` layer "${where.layer}"`;
    super(`${where.file}${layer}: ${message}`);
    this.name = "ModelFormatError";
    this.file = where.file;
    this.layer = where.layer;
    this.detail = message;
  }

  /** The same error with its file placed in folder `dir`. */
  inFolder(dir: string): ModelFormatError {
    return new ModelFormatError(this.detail, {
      file: `${dir}/${this.file}`,
      layer: this.layer,
    });
  }
}

/** A JSON object, as parsed. */
export type JsonObject = Record<string, unknown>;

/** One layer of the topology, in the order the model runs it. */
export interface LayerConfig {
  /** Keras class name, e.g. `Conv2D`. */
  className: string;
  /** The layer's unique name in the model. */
  name: string;
  /** The layer's snake_case config as saved. */
  config: JsonObject;
}

/** The topology of a model whose layers form a single chain. */
export interface ModelTopology {
  /** `Sequential` or `Model` (functional). */
  className: string;
  /** The model's name. */
  name: string;
  /** Input shape without the batch axis; `null` marks a free axis. */
  inputShape: (number | null)[];
  /** Layers in execution order, without the InputLayer. */
  layers: LayerConfig[];
}

/** One entry of the weights manifest. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  /** `optimizer` for optimizer state, otherwise absent. */
  group?: string;
}

/** The weights manifest, flattened. */
export interface WeightManifest {
  /** Shard paths, relative to `model.json`, in reading order. */
  paths: string[];
  /** Entries in byte order across the concatenated shards. */
  entries: WeightEntry[];
}

/** A decoded model weight (optimizer entries are left out). */
export interface NamedWeight {
  name: string;
  value: Tensor;
}

const MODEL_FILE = "model.json";

/** Bytes per value of the dtypes a manifest may list. */
const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
};

/**
 * Parses `model.json` (an object, or its text) into a chain topology.
 *
 * @throws {ModelFormatError} if the JSON is not a layers-model, the topology
 *   is neither `Sequential` nor a functional `Model`, or a functional graph
 *   is not a single chain from one input to one output.
 */
export function parseTopology(modelJson: unknown): ModelTopology {
  const topology = field(modelRoot(modelJson), "modelTopology", MODEL_FILE);
  const root = asObject(topology, "modelTopology", MODEL_FILE);
  // Keras wraps the topology in {model_config: ...}; tfjs writes it bare.
  const model = "model_config" in root
    ? asObject(root.model_config, "model_config", MODEL_FILE)
    : root;
  const className = model.class_name;
  const config = asObject(model.config, "modelTopology.config", MODEL_FILE);
  const name = typeof config.name === "string" ? config.name : "model";
  if (className === "Sequential") return parseSequential(name, config);
  if (className === "Model" || className === "Functional") {
    return parseFunctional(String(className), name, config);
  }
  throw new ModelFormatError(
    `unsupported model class_name ${JSON.stringify(className)} ` +
      `(expected "Sequential" or "Model")`,
    { file: MODEL_FILE },
  );
}

/**
 * Reads and checks the weights manifest.
 *
 * @throws {ModelFormatError} for a missing or malformed manifest, a
 *   `quantization` entry, a model weight whose dtype is not float32, or a
 *   dtype of unknown size.
 */
export function parseManifest(modelJson: unknown): WeightManifest {
  const groups = field(modelRoot(modelJson), "weightsManifest", MODEL_FILE);
  if (!Array.isArray(groups)) {
    throw new ModelFormatError("weightsManifest is not a list", {
      file: MODEL_FILE,
    });
  }
  const paths: string[] = [];
  const entries: WeightEntry[] = [];
  for (const [g, rawGroup] of groups.entries()) {
    const group = asObject(rawGroup, `weightsManifest[${g}]`, MODEL_FILE);
    const groupPaths = group.paths;
    const weights = group.weights;
    if (!Array.isArray(groupPaths) || !Array.isArray(weights)) {
      throw new ModelFormatError(
        `weightsManifest[${g}] needs "paths" and "weights" lists`,
        { file: MODEL_FILE },
      );
    }
    for (const p of groupPaths) paths.push(String(p));
    for (const w of weights) entries.push(parseEntry(w, g));
  }
  return { paths, entries };
}

function parseEntry(raw: unknown, g: number): WeightEntry {
  const w = asObject(raw, `weightsManifest[${g}].weights`, MODEL_FILE);
  const name = String(w.name);
  const where = { file: MODEL_FILE };
  if (w.quantization !== undefined && w.quantization !== null) {
    throw new ModelFormatError(
      `weight "${name}" is quantized (${JSON.stringify(w.quantization)}); ` +
        `only float32 weights are supported`,
      where,
    );
  }
  const shape = w.shape;
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    throw new ModelFormatError(
      `weight "${name}" has shape ${JSON.stringify(shape)}, expected a ` +
        `list of non-negative integers`,
      where,
    );
  }
  const dtype = String(w.dtype);
  const group = typeof w.group === "string" ? w.group : undefined;
  const allowed = group === "optimizer"
    ? Object.keys(DTYPE_BYTES)
    : ["float32"];
  if (!allowed.includes(dtype)) {
    throw new ModelFormatError(
      `weight "${name}" has dtype "${dtype}", expected ${allowed.join(" or ")}`,
      where,
    );
  }
  return group === undefined
    ? { name, shape, dtype }
    : { name, shape, dtype, group };
}

/**
 * Decodes the concatenated shards into the model's weights, in manifest
 * order; entries of the group `optimizer` are skipped.
 *
 * @param shards the shard bytes in the order of `manifest.paths`.
 * @throws {ModelFormatError} if the shard count differs from the manifest's
 *   paths, or the bytes are fewer or more than the entries need (the message
 *   gives both byte counts).
 */
export function decodeWeights(
  manifest: WeightManifest,
  shards: readonly Uint8Array[],
): NamedWeight[] {
  if (shards.length !== manifest.paths.length) {
    throw new ModelFormatError(
      `the manifest lists ${manifest.paths.length} shard(s) ` +
        `(${manifest.paths.join(", ")}), got ${shards.length}`,
      { file: MODEL_FILE },
    );
  }
  const expected = manifest.entries.reduce(
    (sum, e) => sum + sizeOf(e.shape) * DTYPE_BYTES[e.dtype]!,
    0,
  );
  const actual = shards.reduce((sum, s) => sum + s.byteLength, 0);
  if (actual !== expected) {
    throw new ModelFormatError(
      `weight data is ${actual < expected ? "truncated" : "oversized"}: ` +
        `the manifest needs ${expected} bytes, the shards hold ${actual}`,
      { file: manifest.paths.join(", ") || "weights" },
    );
  }

  const bytes = concat(shards, actual);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights: NamedWeight[] = [];
  let offset = 0;
  for (const entry of manifest.entries) {
    const count = sizeOf(entry.shape);
    const size = count * DTYPE_BYTES[entry.dtype]!;
    if (entry.group !== "optimizer") {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        data[i] = view.getFloat32(offset + 4 * i, true);
      }
      weights.push({ name: entry.name, value: tensor(entry.shape, data) });
    }
    offset += size;
  }
  return weights;
}

function concat(shards: readonly Uint8Array[], total: number): Uint8Array {
  if (shards.length === 1) return shards[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const s of shards) {
    bytes.set(s, offset);
    offset += s.byteLength;
  }
  return bytes;
}

function modelRoot(modelJson: unknown): JsonObject {
  let value = modelJson;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch (e) {
      throw new ModelFormatError(`not valid JSON (${(e as Error).message})`, {
        file: MODEL_FILE,
      });
    }
  }
  const root = asObject(value, "the root", MODEL_FILE);
  if (root.format !== undefined && root.format !== "layers-model") {
    throw new ModelFormatError(
      `format is ${JSON.stringify(root.format)}, expected "layers-model"`,
      { file: MODEL_FILE },
    );
  }
  return root;
}

function parseSequential(name: string, config: JsonObject): ModelTopology {
  // tfjs 4.x writes {name, layers}; tfjs 1.x wrote the layer list bare.
  const rawLayers = Array.isArray(config) ? config : config.layers;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) {
    throw new ModelFormatError("Sequential model has no layers list", {
      file: MODEL_FILE,
    });
  }
  const all = rawLayers.map((l, i) => toLayer(l, `layers[${i}]`));
  const first = all[0]!;
  const inputShape = batchInputShape(first);
  const layers = all.filter((l) => l.className !== "InputLayer");
  return { className: "Sequential", name, inputShape, layers };
}

function batchInputShape(layer: LayerConfig): (number | null)[] {
  const shape = layer.config.batch_input_shape;
  if (!Array.isArray(shape) || shape.length < 2) {
    throw new ModelFormatError(
      `first layer has batch_input_shape ${JSON.stringify(shape)}, expected ` +
        `[null, ...dims]`,
      { file: MODEL_FILE, layer: layer.name },
    );
  }
  return shape.slice(1).map((d) => (typeof d === "number" ? d : null));
}

/** Keras's key for the tensors a node consumes: [[layer, node, tensor, {}]]. */
function inboundNames(layer: LayerConfig, raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length > 1) {
    throw notChain(
      layer,
      `it is called ${
        Array.isArray(raw) ? raw.length : "an unknown number of"
      }` +
        ` times (a shared layer)`,
    );
  }
  if (raw.length === 0) return [];
  const node = raw[0];
  if (!Array.isArray(node)) {
    throw new ModelFormatError(
      `inbound_nodes ${JSON.stringify(raw)} is not in the tfjs ` +
        `[[[layer, node, tensor, kwargs]]] form`,
      { file: MODEL_FILE, layer: layer.name },
    );
  }
  return node.map((t) => (Array.isArray(t) ? String(t[0]) : String(t)));
}

function parseFunctional(
  className: string,
  name: string,
  config: JsonObject,
): ModelTopology {
  const rawLayers = config.layers;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) {
    throw new ModelFormatError("functional model has no layers list", {
      file: MODEL_FILE,
    });
  }
  const layers = rawLayers.map((l, i) => toLayer(l, `layers[${i}]`));
  const inputs = endpointNames(config.input_layers, "input_layers");
  const outputs = endpointNames(config.output_layers, "output_layers");
  const byName = new Map(layers.map((l) => [l.name, l]));
  const consumer = new Map<string, LayerConfig>();
  for (const [i, layer] of layers.entries()) {
    const raw =
      asObject(rawLayers[i], `layers[${i}]`, MODEL_FILE).inbound_nodes;
    const from = inboundNames(layer, raw);
    if (from.length > 1) {
      throw notChain(
        layer,
        `it takes ${from.length} inputs (${from.join(", ")})`,
      );
    }
    if (from.length === 0) continue;
    const producer = from[0]!;
    if (consumer.has(producer)) {
      throw notChain(
        layer,
        `"${producer}" also feeds "${consumer.get(producer)!.name}"`,
      );
    }
    consumer.set(producer, layer);
  }
  return walkChain(className, name, layers, byName, consumer, inputs, outputs);
}

function walkChain(
  className: string,
  name: string,
  layers: LayerConfig[],
  byName: Map<string, LayerConfig>,
  consumer: Map<string, LayerConfig>,
  inputs: string[],
  outputs: string[],
): ModelTopology {
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new ModelFormatError(
      `not a chain: ${inputs.length} input(s) and ${outputs.length} output(s)`,
      { file: MODEL_FILE },
    );
  }
  const input = byName.get(inputs[0]!);
  if (!input) {
    throw new ModelFormatError(`input layer "${inputs[0]}" is not defined`, {
      file: MODEL_FILE,
    });
  }
  const chain: LayerConfig[] = [];
  let current: LayerConfig | undefined = input;
  while (current && current.name !== outputs[0]) {
    current = consumer.get(current.name);
    if (current) chain.push(current);
  }
  if (!current || chain.length + 1 !== layers.length) {
    throw new ModelFormatError(
      `not a chain: the path from "${inputs[0]}" to "${outputs[0]}" visits ` +
        `${chain.length + 1} of ${layers.length} layers`,
      { file: MODEL_FILE },
    );
  }
  const inputShape = batchInputShape(input);
  return {
    className,
    name,
    inputShape,
    layers: chain.filter((l) => l.className !== "InputLayer"),
  };
}

function endpointNames(raw: unknown, key: string): string[] {
  if (!Array.isArray(raw)) {
    throw new ModelFormatError(`${key} is missing`, { file: MODEL_FILE });
  }
  return raw.map((e) => (Array.isArray(e) ? String(e[0]) : String(e)));
}

function notChain(layer: LayerConfig, why: string): ModelFormatError {
  return new ModelFormatError(`the graph is not a chain: ${why}`, {
    file: MODEL_FILE,
    layer: layer.name,
  });
}

function toLayer(raw: unknown, where: string): LayerConfig {
  const layer = asObject(raw, where, MODEL_FILE);
  const config = asObject(layer.config, `${where}.config`, MODEL_FILE);
  const className = String(layer.class_name);
  const name = typeof config.name === "string"
    ? config.name
    : typeof layer.name === "string"
    ? layer.name
    : where;
  return { className, name, config };
}

function field(obj: JsonObject, key: string, file: string): unknown {
  if (!(key in obj)) {
    throw new ModelFormatError(`"${key}" is missing`, { file });
  }
  return obj[key];
}

function asObject(value: unknown, what: string, file: string): JsonObject {
  if (typeof value !== "object" || value === null) {
    throw new ModelFormatError(
      `${what} is ${JSON.stringify(value)}, expected an object`,
      { file },
    );
  }
  return value as JsonObject;
}

/**
 * Reads the options of one layer's saved config, throwing a
 * {@link ModelFormatError} that names the layer and option on a missing or
 * ill-typed value. Values the engine computes with are required: a default
 * is never assumed.
 */
export class ConfigReader {
  /** Wraps `layer`'s config; errors name `file` and the layer. */
  constructor(readonly layer: LayerConfig, readonly file = MODEL_FILE) {}

  /** An error naming this layer. */
  error(message: string): ModelFormatError {
    return new ModelFormatError(`(${this.layer.className}) ${message}`, {
      file: this.file,
      layer: this.layer.name,
    });
  }

  /** The raw value of `key`; throws if absent. */
  raw(key: string): unknown {
    if (!(key in this.layer.config)) {
      throw this.error(`option "${key}" is missing`);
    }
    return this.layer.config[key];
  }

  /** A positive integer. */
  int(key: string): number {
    const v = this.raw(key);
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw this.error(
        `${key} is ${JSON.stringify(v)}, expected an integer >= 1`,
      );
    }
    return v;
  }

  /** A boolean. */
  bool(key: string): boolean {
    const v = this.raw(key);
    if (typeof v !== "boolean") {
      throw this.error(
        `${key} is ${JSON.stringify(v)}, expected true or false`,
      );
    }
    return v;
  }

  /**
   * A boolean that TensorFlow.js may save as `null` when the layer was built
   * without it; tfjs then only tests it for truthiness (e.g. Embedding keeps
   * `args.maskZero` as given and checks `if (!this.maskZero)`), so `null`
   * reads as false.
   */
  flag(key: string): boolean {
    const v = this.raw(key);
    if (v === null) return false;
    if (typeof v !== "boolean") {
      throw this.error(
        `${key} is ${JSON.stringify(v)}, expected true, false or null`,
      );
    }
    return v;
  }

  /** A string among `allowed`. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.raw(key);
    if (!allowed.includes(v as T)) {
      throw this.error(
        `unsupported ${key} ${JSON.stringify(v)} (supported: ` +
          `${allowed.join(", ")})`,
      );
    }
    return v as T;
  }

  /** A pair of positive integers, from `[a, b]` or a single number. */
  pair(key: string): [number, number] {
    const v = this.raw(key);
    const pair = typeof v === "number" ? [v, v] : v;
    if (
      !Array.isArray(pair) || pair.length !== 2 ||
      !pair.every((d) => Number.isInteger(d) && d >= 1)
    ) {
      throw this.error(
        `${key} is ${JSON.stringify(v)}, expected two integers >= 1`,
      );
    }
    return [pair[0], pair[1]];
  }

  /**
   * Rejects an option the engine does not implement: passes when `key` is
   * absent, null, or deep-equal to one of `supported`.
   */
  only(key: string, supported: readonly unknown[]): void {
    const v = this.layer.config[key];
    if (v === undefined || v === null) return;
    const text = JSON.stringify(v);
    if (supported.some((s) => JSON.stringify(s) === text)) return;
    throw this.error(
      `unsupported option ${key}=${text} (supported: ` +
        `${supported.map((s) => JSON.stringify(s)).join(", ")})`,
    );
  }
}

/**
 * Checks a weight's shape against what a layer needs.
 *
 * @throws {ModelFormatError} naming the layer, weight and both shapes.
 */
export function expectWeightShape(
  reader: ConfigReader,
  weight: NamedWeight,
  what: string,
  expected: readonly number[],
): Tensor {
  const actual = weight.value.shape;
  if (
    actual.length !== expected.length ||
    actual.some((d, i) => d !== expected[i])
  ) {
    throw reader.error(
      `weight ${what} ("${weight.name}") has shape ${formatShape(actual)}, ` +
        `the layer needs ${formatShape(expected)}`,
    );
  }
  return weight.value;
}
