/**
 * Parity between the from-scratch engine and TensorFlow.js: both run the
 * same saved model on the same inputs, and the report says how far apart
 * their outputs are, how they score, how long each took and, when they
 * disagree, the first layer whose outputs diverge.
 *
 * ```ts
 * const set = await evalSetFor("outputs/runs/cnn-0f47bc90a91d");
 * const report = await compareOnSet(set.modelDir, set, set.labels);
 * report.agreement; // 1 when every argmax matches
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  loadModel,
  type Model,
  predict,
  predictWithLayers,
} from "../engine/mod.ts";
import { type BackendName, initBackend } from "../tfjs/backend.ts";
import { fileLoader } from "../tfjs/io.ts";
import { CIFAR10_CLASSES, loadCifar10, toFloatNHWC } from "../data/cifar10.ts";
import { loadNusax, NUSAX_LABELS } from "../data/nusax.ts";
import { argmaxRows, classificationReport } from "../train/metrics.ts";
import type { RunConfig, TextDataConfig } from "../sweep/schema.ts";
import { exists, readJsonIfExists, writeJsonAtomic } from "../util/atomic.ts";
import { DATA_DIR } from "../sweep/run.ts";

/** A batch of model inputs: `[examples, ...inputShape]`, row-major. */
export interface ParityInput {
  readonly x: Float32Array;
  readonly shape: readonly number[];
}

/** A model's test set, as {@link evalSetFor} finds it. */
export interface EvalSet extends ParityInput {
  /** Class index of every example, `[examples]`. */
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  readonly dataset: "cifar10" | "nusax";
  /** NusaX language folder (text models only). */
  readonly language?: string;
  /** The folder holding `model.json`. */
  readonly modelDir: string;
  /** The run's config, when a `config.json` was found. */
  readonly config?: RunConfig;
}

/** Options of {@link evalSetFor}. */
export interface EvalSetOptions {
  /** NusaX language when no `config.json` names one; default indonesian. */
  language?: string;
  /** The project's data folder; default `data`. */
  dataDir?: string;
  /** Keep only the first N test examples (quick checks); default all. */
  limit?: number;
}

/** Options of {@link compareOnSet}. */
export interface CompareOptions {
  /** Examples per batch for both runtimes; default 64. */
  batchSize?: number;
  /** Largest allowed absolute difference of the outputs; default 1e-5. */
  tolerance?: number;
  /** TensorFlow.js backend to compare with; default `wasm`. */
  backend?: BackendName;
  /** How many of the worst examples the layer-by-layer check runs; 8. */
  worstExamples?: number;
  /**
   * The folder TensorFlow.js loads; default `modelDir`. Pointing the engine
   * at a changed copy shows how a divergence is reported (the tests do).
   */
  tfjsModelDir?: string;
}

/** Scores and timing of one runtime. */
export interface RuntimeScores {
  accuracy: number;
  macroF1: number;
  /** Wall seconds of the batched forward passes (model loading excluded). */
  seconds: number;
}

/** How far one layer's outputs are apart on the worst examples. */
export interface LayerDiff {
  layer: string;
  className: string;
  maxAbsDiff: number;
  /** Largest absolute tfjs value of the layer: the scale of the diff. */
  scale: number;
}

/** The layer-by-layer check, run when the outputs disagree. */
export interface Divergence {
  /** Indices of the examples checked, worst first. */
  examples: number[];
  /** Every layer, in model order. */
  layers: LayerDiff[];
  /**
   * The first layer whose max diff exceeds `tolerance * max(1, scale)`, or
   * null when none does (e.g. a near-tie flipped by rounding).
   */
  firstDiverging: LayerDiff | null;
}

/** The outcome of {@link compareOnSet}. */
export interface ParityReport {
  modelDir: string;
  backend: BackendName;
  examples: number;
  classes: number;
  engine: RuntimeScores;
  tfjs: RuntimeScores;
  /** Share of examples whose argmax is the same in both, 0..1. */
  agreement: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  tolerance: number;
  /** agreement is 1 and maxAbsDiff <= tolerance. */
  ok: boolean;
  /** Present when not `ok`. */
  divergence?: Divergence;
}

/** The `parity` field {@link recordParity} merges into `metrics.json`. */
export interface ParityMetrics {
  agreement: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  engineMacroF1: number;
  tfjsMacroF1: number;
  engineSeconds: number;
  tfjsSeconds: number;
  examples: number;
}

/**
 * The folder holding `model.json`: `dir` itself, or `dir/model` for a run
 * folder.
 *
 * @throws Error naming `dir` when neither holds a `model.json`.
 */
export async function findModelDir(dir: string): Promise<string> {
  if (await exists(join(dir, "model.json"))) return dir;
  if (await exists(join(dir, "model", "model.json"))) {
    return join(dir, "model");
  }
  throw new Error(
    `${dir}: no model.json here or in ${join(dir, "model")} (expected a ` +
      `run folder or a model folder)`,
  );
}

/**
 * Finds the test set of a run folder or a model folder: an image input
 * `[null, 32, 32, 3]` gets the CIFAR-10 test set (pixels / 255, NHWC
 * `[examples, 32, 32, 3]`); a sequence input `[null, length]` with a
 * `vocabulary.json` beside `model.json` gets the NusaX test set of the
 * language in `config.json` (in `dir` or its parent; else
 * `opts.language`, default indonesian), vectorised with the saved
 * vocabulary, token ids as floats `[examples, length]`.
 *
 * @throws Error naming the folder when no model is found, the input shape
 *   fits neither data set, the vocabulary's sequence length differs from
 *   the model's, or `opts.language` contradicts `config.json`.
 */
export async function evalSetFor(
  dir: string,
  opts: EvalSetOptions = {},
): Promise<EvalSet> {
  const modelDir = await findModelDir(dir);
  const config = await findConfig(dir, modelDir);
  const model = await loadModel(modelDir);
  const shape = model.inputShape;
  const dataDir = opts.dataDir ?? DATA_DIR;
  const limit = opts.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`evalSetFor: limit ${limit} is not an integer >= 0`);
  }

  if (shape.length === 3 && shape.join() === "32,32,3") {
    const d = await loadCifar10({
      dataDir,
      seed: 0,
      limit: { train: 0, val: 0, test: limit },
    });
    return {
      x: toFloatNHWC(d.test.x, 0, d.test.n),
      shape: [d.test.n, 32, 32, 3],
      labels: d.test.y,
      classNames: CIFAR10_CLASSES,
      dataset: "cifar10",
      modelDir,
      ...(config ? { config } : {}),
    };
  }
  if (shape.length === 1 && await exists(join(modelDir, "vocabulary.json"))) {
    const language = pickLanguage(dir, config, opts.language);
    return {
      ...await nusaxSet(modelDir, shape[0] ?? null, language, dataDir, limit),
      ...(config ? { config } : {}),
    };
  }
  throw new Error(
    `${modelDir}: input shape [null, ${
      shape.map((d) => d ?? "null").join(", ")
    }] fits neither CIFAR-10 ([null, 32, 32, 3]) nor NusaX (a sequence ` +
      `[null, length] with vocabulary.json beside model.json)`,
  );
}

async function findConfig(
  dir: string,
  modelDir: string,
): Promise<RunConfig | undefined> {
  for (
    const path of [
      join(dir, "config.json"),
      join(modelDir, "..", "config.json"),
    ]
  ) {
    const json = await readJsonIfExists<{ config?: RunConfig }>(path);
    if (json?.config) return json.config;
  }
  return undefined;
}

function pickLanguage(
  dir: string,
  config: RunConfig | undefined,
  requested: string | undefined,
): string {
  const saved = config ? (config.data as TextDataConfig).language : undefined;
  if (saved && requested && saved !== requested) {
    throw new Error(
      `${dir}: config.json says language "${saved}", but "${requested}" ` +
        `was asked for; the vocabulary belongs to "${saved}"`,
    );
  }
  return saved ?? requested ?? "indonesian";
}

async function nusaxSet(
  modelDir: string,
  length: number | null,
  language: string,
  dataDir: string,
  limit: number | undefined,
): Promise<Omit<EvalSet, "config">> {
  const file = join(modelDir, "vocabulary.json");
  const { TextVectorizer } = await import("../text/vectorize.ts");
  const vectorizer = TextVectorizer.fromJSON(
    JSON.parse(await Deno.readTextFile(file)),
    file,
  );
  const vocabLength = vectorizer.config.outputSequenceLength;
  if (length !== null && length !== vocabLength) {
    throw new Error(
      `${file}: outputSequenceLength ${vocabLength} differs from the ` +
        `model's input length ${length}`,
    );
  }
  const d = await loadNusax({ dataDir, language, limit: { test: limit } });
  const ids = vectorizer.encodeBatch(d.test.texts);
  return {
    x: Float32Array.from(ids),
    shape: [d.test.n, vocabLength],
    labels: d.test.y,
    classNames: NUSAX_LABELS,
    dataset: "nusax",
    language,
    modelDir,
  };
}

/**
 * Runs TensorFlow.js (`opts.backend`, batched `predict`) and the engine on
 * the same inputs and compares them: scores of both, argmax agreement, max
 * and mean absolute difference of the outputs, seconds of both. When the
 * outputs disagree it also runs every layer of both on the worst examples
 * and names the first layer that diverges.
 *
 * @param modelDir folder holding `model.json`.
 * @param input `[examples, ...inputShape]`; token ids as floats.
 * @param labels `[examples]` class indices.
 * @throws Error when the model cannot be loaded by either runtime or the
 *   shapes do not fit.
 */
export async function compareOnSet(
  modelDir: string,
  input: ParityInput,
  labels: Int32Array,
  opts: CompareOptions = {},
): Promise<ParityReport> {
  const batchSize = opts.batchSize ?? 64;
  const tolerance = opts.tolerance ?? 1e-5;
  const backend = await initBackend(opts.backend ?? "wasm");
  const examples = input.shape[0] ?? 0;
  if (labels.length !== examples) {
    throw new RangeError(
      `compareOnSet(${modelDir}): ${labels.length} labels for ${examples} ` +
        `examples`,
    );
  }
  const engine = await loadModel(modelDir);
  const tfModel = await tf.loadLayersModel(
    fileLoader(opts.tfjsModelDir ?? modelDir),
  );
  try {
    const t0 = performance.now();
    const expected = tfjsPredict(tfModel, input, batchSize);
    const t1 = performance.now();
    const actual = predict(engine, { shape: input.shape, data: input.x }, {
      batchSize,
    }).data;
    const t2 = performance.now();

    const classes = examples ? expected.length / examples : 0;
    const diffs = compareRows(actual, expected, examples, classes);
    const report: ParityReport = {
      modelDir,
      backend,
      examples,
      classes,
      engine: scores(actual, labels, classes, (t2 - t1) / 1000),
      tfjs: scores(expected, labels, classes, (t1 - t0) / 1000),
      agreement: diffs.agreement,
      maxAbsDiff: diffs.maxAbsDiff,
      meanAbsDiff: diffs.meanAbsDiff,
      tolerance,
      ok: diffs.agreement === 1 && diffs.maxAbsDiff <= tolerance,
    };
    if (report.ok) return report;
    const worst = worstExamples(diffs.rowMax, opts.worstExamples ?? 8);
    const divergence = layerByLayer(engine, tfModel, input, worst, tolerance);
    return { ...report, divergence };
  } finally {
    tfModel.dispose();
  }
}

/** Rank-2 inputs are token ids: tfjs's Embedding casts them to int32. */
function tfjsInput(input: ParityInput, start: number, end: number): tf.Tensor {
  const size = input.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = input.x.subarray(start * size, end * size);
  const shape = [end - start, ...input.shape.slice(1)];
  return input.shape.length === 2
    ? tf.tensor(Int32Array.from(data), shape, "int32")
    : tf.tensor(data, shape);
}

function tfjsPredict(
  model: tf.LayersModel,
  input: ParityInput,
  batchSize: number,
): Float32Array {
  const examples = input.shape[0] ?? 0;
  const parts: Float32Array[] = [];
  for (let start = 0; start < examples; start += batchSize) {
    const end = Math.min(examples, start + batchSize);
    parts.push(tf.tidy(() => {
      const y = model.predict(tfjsInput(input, start, end)) as tf.Tensor;
      return y.dataSync() as Float32Array;
    }));
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function scores(
  probs: Float32Array,
  labels: Int32Array,
  classes: number,
  seconds: number,
): RuntimeScores {
  const report = classificationReport(
    labels,
    classes ? argmaxRows(probs, classes) : new Int32Array(0),
    classes,
  );
  return { accuracy: report.accuracy, macroF1: report.macroF1, seconds };
}

interface RowDiffs {
  agreement: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Largest absolute difference of each example's row. */
  rowMax: Float64Array;
}

function compareRows(
  actual: Float32Array,
  expected: Float32Array,
  examples: number,
  classes: number,
): RowDiffs {
  if (actual.length !== expected.length) {
    throw new RangeError(
      `engine output has ${actual.length} values, tfjs ${expected.length}`,
    );
  }
  const a = argmaxRows(actual, classes);
  const e = argmaxRows(expected, classes);
  const rowMax = new Float64Array(examples);
  let same = 0;
  let sum = 0;
  let max = 0;
  for (let r = 0; r < examples; r++) {
    if (a[r] === e[r]) same++;
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c;
      const d = absDiff(actual[i]!, expected[i]!);
      sum += d;
      if (d > rowMax[r]!) rowMax[r] = d;
    }
    if (rowMax[r]! > max) max = rowMax[r]!;
  }
  return {
    agreement: examples ? same / examples : 1,
    maxAbsDiff: max,
    meanAbsDiff: actual.length ? sum / actual.length : 0,
    rowMax,
  };
}

/** NaN against anything counts as an infinite difference. */
function absDiff(a: number, b: number): number {
  return Number.isNaN(a) || Number.isNaN(b) ? Infinity : Math.abs(a - b);
}

function worstExamples(rowMax: Float64Array, k: number): number[] {
  return [...rowMax.keys()]
    .sort((i, j) => rowMax[j]! - rowMax[i]! || i - j)
    .slice(0, Math.max(1, k));
}

/**
 * Runs every layer of both runtimes on the `rows` examples and compares
 * them in model order. tfjs's model lists the same layers under the same
 * names (both read the one `model.json`), except that a Sequential model
 * also has an InputLayer, which has no engine step and is skipped.
 */
function layerByLayer(
  engine: Model,
  tfModel: tf.LayersModel,
  input: ParityInput,
  rows: number[],
  tolerance: number,
): Divergence {
  const picked = gatherRows(input, rows);
  const engineOut = predictWithLayers(engine, {
    shape: picked.shape,
    data: picked.x,
  });
  const tfLayers = tfModel.layers.filter((l) =>
    l.getClassName() !== "InputLayer"
  );
  const probe = tf.model({
    inputs: tfModel.inputs,
    outputs: tfLayers.map((l) => l.output as tf.SymbolicTensor),
  });
  const tfOut = tf.tidy(() => {
    const ys = probe.predict(tfjsInput(picked, 0, rows.length));
    return (Array.isArray(ys) ? ys : [ys]).map((y) =>
      y.dataSync() as Float32Array
    );
  });

  const layers: LayerDiff[] = [];
  for (const [i, step] of engineOut.entries()) {
    const at = tfLayers.findIndex((l) => l.name === step.name);
    const expected = tfOut[at];
    if (!expected) {
      throw new Error(
        `layer "${step.name}" of the engine has no tfjs counterpart (layer ` +
          `${i})`,
      );
    }
    layers.push(
      diffLayer(step.name, step.className, step.output.data, expected),
    );
  }
  const firstDiverging =
    layers.find((l) => l.maxAbsDiff > tolerance * Math.max(1, l.scale)) ?? null;
  return { examples: rows, layers, firstDiverging };
}

function diffLayer(
  layer: string,
  className: string,
  actual: Float32Array,
  expected: Float32Array,
): LayerDiff {
  if (actual.length !== expected.length) {
    return { layer, className, maxAbsDiff: Infinity, scale: 0 };
  }
  let maxAbsDiff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, absDiff(actual[i]!, expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return { layer, className, maxAbsDiff, scale };
}

function gatherRows(input: ParityInput, rows: number[]): ParityInput {
  const size = input.shape.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float32Array(rows.length * size);
  rows.forEach((r, i) =>
    x.set(input.x.subarray(r * size, (r + 1) * size), i * size)
  );
  return { x, shape: [rows.length, ...input.shape.slice(1)] };
}

/** The `metrics.json` form of a report: rounded, without the details. */
export function parityMetrics(report: ParityReport): ParityMetrics {
  return {
    agreement: round(report.agreement, 6),
    maxAbsDiff: Number(report.maxAbsDiff.toPrecision(4)),
    meanAbsDiff: Number(report.meanAbsDiff.toPrecision(4)),
    engineMacroF1: round(report.engine.macroF1, 6),
    tfjsMacroF1: round(report.tfjs.macroF1, 6),
    engineSeconds: round(report.engine.seconds, 3),
    tfjsSeconds: round(report.tfjs.seconds, 3),
    examples: report.examples,
  };
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

/**
 * Compares the engine with TensorFlow.js on a finished run's full test set
 * and merges a `parity` field ({@link ParityMetrics}) into the run's
 * `metrics.json`, atomically.
 *
 * @param runDir a run folder (`config.json`, `metrics.json`, `model/`).
 * @throws Error when the run has no `metrics.json` (not finished) or the
 *   model or data cannot be loaded.
 */
export async function recordParity(
  runDir: string,
  opts: CompareOptions & EvalSetOptions = {},
): Promise<ParityReport> {
  const metricsPath = join(runDir, "metrics.json");
  const metrics = await readJsonIfExists<Record<string, unknown>>(metricsPath);
  if (!metrics) {
    throw new Error(`${metricsPath}: not found; is the run finished?`);
  }
  const set = await evalSetFor(runDir, opts);
  const report = await compareOnSet(set.modelDir, set, set.labels, opts);
  await mergeParity(metricsPath, report, metrics);
  return report;
}

/**
 * Merges `parity` ({@link parityMetrics} of `report`) into the JSON object
 * at `metricsPath`, atomically, keeping every other field.
 *
 * @param metrics the file's current content, if already read.
 * @throws Error when the file is missing or not a JSON object.
 */
export async function mergeParity(
  metricsPath: string,
  report: ParityReport,
  metrics?: Record<string, unknown>,
): Promise<void> {
  const current = metrics ??
    await readJsonIfExists<Record<string, unknown>>(metricsPath);
  if (
    typeof current !== "object" || current === null || Array.isArray(current)
  ) {
    throw new Error(`${metricsPath}: expected a JSON object (a finished run)`);
  }
  await writeJsonAtomic(metricsPath, {
    ...current,
    parity: parityMetrics(report),
  });
}
