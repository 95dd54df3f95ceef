/**
 * Experiment files: a base configuration and the variations to train.
 *
 * ```yaml
 * description: Number of convolution layers
 * family: cnn                 # default family of the variations
 * base:                       # optional overrides of the family defaults
 *   training: { epochs: 10 }
 * variations:
 *   - label: 1 conv
 *     set: { model.filters: [32], model.kernelSizes: [3] }
 *   - label: 2 conv
 *     set: { model.filters: [32, 64], model.kernelSizes: [3, 3] }
 * ```
 *
 * Each variation is its family's defaults, then `base`, then its `set`
 * (dotted paths). A variation may name its own `family`, so one file can
 * train several families (the smoke test does). The result is validated in full before anything trains.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { basename } from "node:path";
import {
  type CnnModelConfig,
  FAMILIES,
  type Family,
  familyDefaults,
  isCnn,
  type RunConfig,
  type TextRunConfig,
} from "./schema.ts";
import { check, ConfigError, joinPath, type Spec, specAt } from "./validate.ts";
import { NUSAX_LANGUAGES } from "../data/nusax.ts";

const positiveInt: Spec = { kind: "number", integer: true, min: 1 };
const rate: Spec = { kind: "number", min: 0, max: 0.95 };
const limitSpec: Spec = {
  kind: "object",
  fields: { train: positiveInt, val: positiveInt, test: positiveInt },
  optional: ["train", "val", "test"],
};

const trainingSpec: Spec = {
  kind: "object",
  optional: ["augment"],
  fields: {
    augment: {
      kind: "object",
      fields: { horizontalFlip: { kind: "boolean" } },
    },
    epochs: positiveInt,
    batchSize: positiveInt,
    learningRate: { kind: "number", min: 1e-9, max: 10 },
    clipNorm: { kind: "nullable", of: { kind: "number", min: 1e-9 } },
    classWeight: { kind: "enum", values: ["none", "balanced"] },
    earlyStopping: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: {
          patience: positiveInt,
          minDelta: { kind: "number", min: 0 },
          monitor: { kind: "enum", values: ["val_loss", "val_accuracy"] },
        },
        optional: ["monitor"],
      },
    },
    reduceLrOnPlateau: {
      kind: "nullable",
      of: {
        kind: "object",
        fields: {
          factor: { kind: "number", min: 1e-6, max: 0.999999 },
          patience: positiveInt,
          minLr: { kind: "number", min: 0 },
        },
      },
    },
  },
};

/** Text models train on token ids: image augmentation does not apply. */
const textTrainingSpec: Spec = (() => {
  const { augment: _augment, ...fields } =
    (trainingSpec as { fields: Record<string, Spec> }).fields;
  return { kind: "object", fields };
})();

// Every integer seed is a real seed here (src/util/random.ts), 0 included.
const seedSpec: Spec = { kind: "number", integer: true, min: 0 };

/** The full spec of a resolved run configuration, per family. */
export function runSpec(family: Family): Spec {
  if (family === "cnn") {
    return {
      kind: "object",
      fields: {
        family: { kind: "enum", values: ["cnn"] },
        seed: seedSpec,
        data: {
          kind: "object",
          fields: {
            dataset: { kind: "enum", values: ["cifar10"] },
            valFraction: { kind: "number", min: 0.01, max: 0.5 },
            splitSeed: { kind: "number", integer: true, min: 0 },
            limit: limitSpec,
          },
          optional: ["limit"],
        },
        model: {
          kind: "object",
          fields: {
            filters: { kind: "array", of: positiveInt, minLength: 1 },
            kernelSizes: { kind: "array", of: positiveInt, minLength: 1 },
            padding: { kind: "enum", values: ["valid", "same"] },
            pooling: { kind: "enum", values: ["max", "average"] },
            head: { kind: "enum", values: ["flatten", "global_average"] },
            dense: { kind: "array", of: positiveInt },
            dropout: rate,
          },
        },
        training: trainingSpec,
      },
    };
  }
  return {
    kind: "object",
    fields: {
      family: { kind: "enum", values: ["rnn", "lstm"] },
      seed: seedSpec,
      data: {
        kind: "object",
        fields: {
          dataset: { kind: "enum", values: ["nusax"] },
          language: { kind: "enum", values: NUSAX_LANGUAGES },
          maxTokens: { kind: "number", integer: true, min: 3 },
          sequenceLength: positiveInt,
          limit: limitSpec,
        },
        optional: ["limit"],
      },
      model: {
        kind: "object",
        fields: {
          embeddingDim: positiveInt,
          units: { kind: "array", of: positiveInt, minLength: 1 },
          bidirectional: { kind: "boolean" },
          dropout: rate,
          embeddingDropout: rate,
          tokenDropout: rate,
          recurrentDropout: rate,
          l2: { kind: "number", min: 0, max: 1 },
          embeddingL2: { kind: "number", min: 0, max: 1 },
          maskZero: { kind: "boolean" },
          head: {
            kind: "enum",
            values: ["last", "global_max", "global_average"],
          },
        },
        optional: ["head", "tokenDropout", "embeddingL2"],
      },
      training: textTrainingSpec,
    },
  };
}

/** One run of an experiment, before it is trained. */
export interface PlannedRun {
  /** Human label of the variation (its `label`, or its `set` written out). */
  label: string;
  /** The dotted paths this variation set, with their values. */
  varied: Record<string, unknown>;
  config: RunConfig;
}

export interface Experiment {
  name: string;
  file: string;
  description: string;
  /** The model families its variations train. */
  families: Family[];
  runs: PlannedRun[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepMerge(target: unknown, patch: unknown): unknown {
  if (!isRecord(target) || !isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(out[k], v);
  return out;
}

/**
 * Sets a dotted path. A mapping is merged into the mapping already there
 * (so `training.earlyStopping: { monitor: val_accuracy }` keeps the default
 * patience); any other value, `null` included, replaces what was there.
 */
function setDotted(obj: Record<string, unknown>, dotted: string, v: unknown) {
  const keys = dotted.split(".");
  let node: Record<string, unknown> = obj;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isRecord(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  node[last] = deepMerge(node[last], v);
}

/** Output size of a 2x2/stride-2 pooling or a k-convolution, as Keras. */
function convOut(size: number, k: number, padding: string): number {
  return padding === "same" ? size : size - k + 1;
}

/**
 * Checks that every feature map stays at least 1x1, naming the first layer
 * where it does not.
 */
export function checkCnnGeometry(
  model: CnnModelConfig,
  file: string,
  where: string,
): void {
  if (model.filters.length !== model.kernelSizes.length) {
    throw new ConfigError(
      file,
      `${where}.model.kernelSizes`,
      `one kernel size per conv layer (${model.filters.length})`,
      model.kernelSizes,
    );
  }
  let size = 32;
  for (let i = 0; i < model.filters.length; i++) {
    const k = model.kernelSizes[i]!;
    const afterConv = convOut(size, k, model.padding);
    const afterPool = Math.floor(afterConv / 2);
    if (afterConv < 1 || afterPool < 1) {
      throw new ConfigError(
        file,
        `${where}.model.kernelSizes[${i}]`,
        `a network whose feature map stays at least 1x1 (conv layer ${
          i + 1
        } gets ${size}x${size}, kernel ${k}, padding ${model.padding}, ` +
          `leaving ${afterConv}x${afterConv} before 2x2 pooling)`,
        model.kernelSizes,
      );
    }
    size = afterPool;
  }
}

/**
 * Removes optional fields written out with the value their absence means, so
 * that a config reads as the same run (same id) however it was written.
 */
function normalizeDefaults(config: RunConfig): void {
  const training = config.training;
  if (training.augment && !training.augment.horizontalFlip) {
    delete training.augment;
  }
  if (training.earlyStopping?.monitor === "val_loss") {
    delete training.earlyStopping.monitor;
  }
  if (!isCnn(config)) {
    const model = (config as TextRunConfig).model;
    if (model.head === "last") delete model.head;
    if (model.tokenDropout === 0) delete model.tokenDropout;
    if (model.embeddingL2 === 0) delete model.embeddingL2;
  }
}

/**
 * A pooling head needs the mask off: TensorFlow.js's GlobalMaxPooling1D and
 * GlobalAveragePooling1D ignore a `mask_zero` mask and pool the padding steps
 * too, while Keras's leave them out; refusing the combination keeps a config
 * meaning the same model in both frameworks.
 */
export function checkTextHead(
  config: TextRunConfig,
  file: string,
  where: string,
): void {
  const head = config.model.head ?? "last";
  if (head !== "last" && config.model.maskZero) {
    throw new ConfigError(
      file,
      `${where}.model.head`,
      `"last" while model.maskZero is true (TensorFlow.js's ${
        head === "global_max" ? "GlobalMaxPooling1D" : "GlobalAveragePooling1D"
      } would pool the masked padding steps, unlike Keras's; set ` +
        `model.maskZero: false to pool over time)`,
      head,
    );
  }
}

const fileSpec: Spec = {
  kind: "object",
  fields: {
    description: { kind: "string" },
    family: { kind: "enum", values: FAMILIES },
    base: { kind: "object", fields: {} }, // checked per family below
    variations: {
      kind: "array",
      minLength: 1,
      of: { kind: "object", fields: {} },
    },
  },
  optional: ["description", "base", "family"],
};

const variationSpec: Spec = {
  kind: "object",
  fields: {
    label: { kind: "string" },
    family: { kind: "enum", values: FAMILIES },
    set: { kind: "object", fields: {} },
  },
  optional: ["label", "family"],
};

/**
 * Parses and validates an experiment file's text. `file` is used in messages
 * and its stem is the experiment's name.
 *
 * @throws {ConfigError} naming the file and field of the first mistake.
 */
export function parseExperiment(text: string, file: string): Experiment {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const message = (e as Error).message;
    throw new ConfigError(file, "", "valid YAML", message, message);
  }
  if (!isRecord(doc)) {
    throw new ConfigError(file, "", "a mapping", doc);
  }
  check({ ...doc, base: {}, variations: [{}] }, fileSpec, file, "");
  if (!Array.isArray(doc.variations) || doc.variations.length === 0) {
    throw new ConfigError(
      file,
      "variations",
      "a list of at least one variation",
      doc.variations,
    );
  }
  const base = doc.base ?? {};
  if (!isRecord(base)) throw new ConfigError(file, "base", "a mapping", base);
  const runs = doc.variations.map((v, i) =>
    planVariation(v, i, base, doc.family as Family | undefined, file)
  );
  const seen = new Map<string, number>();
  runs.forEach((run, i) => {
    const first = seen.get(run.label);
    if (first !== undefined) {
      throw new ConfigError(
        file,
        `variations[${i}].label`,
        `a label not used before (variations[${first}] has it)`,
        run.label,
      );
    }
    seen.set(run.label, i);
  });
  const name = basename(file).replace(/\.ya?ml$/, "");
  return {
    name,
    file,
    description: typeof doc.description === "string" ? doc.description : name,
    families: FAMILIES.filter((f) => runs.some((r) => r.config.family === f)),
    runs,
  };
}

function planVariation(
  variation: unknown,
  index: number,
  base: Record<string, unknown>,
  defaultFamily: Family | undefined,
  file: string,
): PlannedRun {
  const where = `variations[${index}]`;
  if (!isRecord(variation)) {
    throw new ConfigError(
      file,
      where,
      "a mapping with label and set",
      variation,
    );
  }
  // YAML reads `label: 32` as a number; a label is a name, so take it as text.
  const v: Record<string, unknown> = typeof variation.label === "number"
    ? { ...variation, label: String(variation.label) }
    : variation;
  check({ ...v, set: {} }, variationSpec, file, where);
  const family = (v.family as Family | undefined) ?? defaultFamily;
  if (!family) {
    throw new ConfigError(
      file,
      `${where}.family`,
      `a family (${FAMILIES.join(", ")}) here or at the top of the file`,
      undefined,
    );
  }
  const spec = runSpec(family);
  check(base, spec, file, "base", true);
  const set = v.set;
  if (!isRecord(set)) {
    throw new ConfigError(file, `${where}.set`, "a mapping", set);
  }
  const config = deepMerge(familyDefaults(family), base) as Record<
    string,
    unknown
  >;
  for (const [dotted, value] of Object.entries(set)) {
    const path = joinPath(`${where}.set`, dotted);
    const fieldSpec = specAt(spec, dotted);
    if (!fieldSpec || dotted === "family") {
      throw new ConfigError(
        file,
        path,
        "a dotted path to a configuration field (e.g. model.filters)",
        dotted,
      );
    }
    check(value, fieldSpec, file, path, true);
    setDotted(config, dotted, value);
  }
  config.family = family;
  check(config, spec, file, `${where} (resolved)`);
  const resolved = config as unknown as RunConfig;
  normalizeDefaults(resolved);
  if (isCnn(resolved)) checkCnnGeometry(resolved.model, file, where);
  else {
    const text = resolved as TextRunConfig;
    checkTextHead(text, file, where);
  }
  const label = typeof v.label === "string"
    ? v.label
    : Object.entries(set).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(
      " ",
    ) || family;
  return { label, varied: set, config: resolved };
}

/** Reads and parses an experiment file from disk. */
export async function loadExperiment(file: string): Promise<Experiment> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    const message = (e as Error).message;
    throw new ConfigError(file, "", "a readable YAML file", message, message);
  }
  return parseExperiment(text, file);
}
