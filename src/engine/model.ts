/**
 * The model runner: turns a parsed layers-model into a list of layer steps
 * and runs batches through them.
 *
 * Building walks the chain once with the per-example shape (batch axis left
 * out), reading every option from the saved config, checking what the
 * engine supports, and working out each layer's weight shapes. The decoded
 * weights are then matched to the layers by order and shape, in the order
 * tfjs-layers saves them: `Container.weights` is `trainableWeights` followed
 * by `nonTrainableWeights` (src/engine/container.ts), so the weights of a
 * layer saved with `trainable: false` come after all the others.
 *
 * The Embedding `mask_zero` mask travels with the activations through the
 * layers tfjs marks `supportsMasking` (Dropout, SpatialDropout1D,
 * Activation, Dense) to the next recurrent layer; a recurrent layer passes it on
 * only when it returns sequences (tfjs `RNN.computeMask`). Any other layer
 * (Flatten, pooling, Conv2D) drops it and computes over every step, padding
 * included: tfjs-layers neither uses nor refuses a mask there (it calls
 * `computeMask` only for layers that support masking), unlike Keras, which
 * raises or skips the masked steps.
 *
 * @module
 */
import { activationNames, applyActivation } from "./activations.ts";
import { bidirectional, type MergeMode } from "./bidirectional.ts";
import { conv2d } from "./conv2d.ts";
import { dense } from "./dense.ts";
import { dropout } from "./dropout.ts";
import { embedding, maskFromIds } from "./embedding.ts";
import { flatten } from "./flatten.ts";
import {
  ConfigReader,
  decodeWeights,
  expectWeightShape,
  type LayerConfig,
  ModelFormatError,
  type NamedWeight,
  parseManifest,
  parseTopology,
} from "./format.ts";
import { lstm, type LstmConfig } from "./lstm.ts";
import {
  avgPool2d,
  globalAvgPool1d,
  globalAvgPool2d,
  globalMaxPool1d,
  globalMaxPool2d,
  maxPool2d,
  type Pool2dConfig,
} from "./pooling.ts";
import { simpleRnn, type SimpleRnnConfig } from "./simple_rnn.ts";
import { formatShape, sizeOf, type Tensor, tensor } from "./tensor.ts";

/** A per-example shape (no batch axis); `null` marks a free axis. */
export type Shape = (number | null)[];

/** What one layer step returns: its output and the mask it passes on. */
export interface StepOutput {
  y: Tensor;
  mask?: Uint8Array;
}

/** One layer, ready to run on a batch. */
export interface Step {
  /** The layer's name in the saved model. */
  readonly name: string;
  /** Its Keras class name. */
  readonly className: string;
  /** Output shape without the batch axis. */
  readonly outputShape: Shape;
  /** Runs the layer on `[batch, ...inputShape]`. */
  readonly run: (x: Tensor, mask: Uint8Array | undefined) => StepOutput;
}

/** A loaded model: the input it expects and its layer steps in order. */
export interface Model {
  readonly name: string;
  /** Input shape without the batch axis. */
  readonly inputShape: Shape;
  readonly steps: readonly Step[];
}

/** A layer's output from {@link predictWithLayers}. */
export interface LayerOutput {
  name: string;
  className: string;
  output: Tensor;
}

/** A layer's plan, before its weights are known. */
interface Plan {
  /** Weight shapes the layer needs, in saved order. */
  weights: { what: string; shape: number[] }[];
  outputShape: Shape;
  /** Whether the layer emits a mask. */
  masks: boolean;
  make: (weights: Tensor[]) => Step["run"];
}

type Builder = (r: ConfigReader, input: Shape, masked: boolean) => Plan;

/**
 * Builds a runnable model from `model.json` (object or text) and the weight
 * shards, in the order of the manifest's `paths`.
 *
 * @throws {ModelFormatError} for anything the engine cannot load exactly:
 *   see `docs/engine.md`, "Not supported".
 */
export function buildModel(
  modelJson: unknown,
  shards: readonly Uint8Array[],
): Model {
  const topology = parseTopology(modelJson);
  const weights = decodeWeights(parseManifest(modelJson), shards);

  const plans: { layer: LayerConfig; reader: ConfigReader; plan: Plan }[] = [];
  let shape = topology.inputShape;
  let masked = false;
  for (const layer of topology.layers) {
    const reader = new ConfigReader(layer);
    const builder = BUILDERS[layer.className];
    if (!builder) {
      throw reader.error(
        `unsupported layer class (supported: ${
          Object.keys(BUILDERS).join(", ")
        })`,
      );
    }
    const plan = builder(reader, shape, masked);
    plans.push({ layer, reader, plan });
    shape = plan.outputShape;
    masked = plan.masks;
  }

  const assigned = assignWeights(plans, weights);
  const steps = plans.map(({ layer, plan }, i): Step => ({
    name: layer.name,
    className: layer.className,
    outputShape: plan.outputShape,
    run: plan.make(assigned[i]!),
  }));
  return { name: topology.name, inputShape: topology.inputShape, steps };
}

function assignWeights(
  plans: { layer: LayerConfig; reader: ConfigReader; plan: Plan }[],
  weights: NamedWeight[],
): Tensor[][] {
  const needed = plans.reduce((n, p) => n + p.plan.weights.length, 0);
  if (needed !== weights.length) {
    throw new ModelFormatError(
      `the manifest holds ${weights.length} model weight(s), the layers ` +
        `need ${needed}`,
      { file: "model.json" },
    );
  }
  const order = [
    ...plans.filter((p) => p.layer.config.trainable !== false),
    ...plans.filter((p) => p.layer.config.trainable === false),
  ];
  const byPlan = new Map<Plan, Tensor[]>();
  let next = 0;
  for (const { reader, plan } of order) {
    byPlan.set(
      plan,
      plan.weights.map(({ what, shape }) =>
        expectWeightShape(reader, weights[next++]!, what, shape)
      ),
    );
  }
  return plans.map((p) => byPlan.get(p.plan)!);
}

/**
 * Runs one batch through every step.
 *
 * @param x `[batch, ...model.inputShape]`.
 * @returns the last layer's output, `[batch, ...outputShape]`.
 * @throws {RangeError} if `x` does not match the model's input shape.
 */
export function runBatch(model: Model, x: Tensor): Tensor {
  const outputs = predictWithLayers(model, x);
  return outputs.length === 0 ? x : outputs[outputs.length - 1]!.output;
}

/**
 * Runs one batch and returns every layer's output, for debugging.
 *
 * @param x `[batch, ...model.inputShape]`.
 * @throws {RangeError} if `x` does not match the model's input shape.
 */
export function predictWithLayers(model: Model, x: Tensor): LayerOutput[] {
  checkInput(model, x);
  const outputs: LayerOutput[] = [];
  let current = x;
  let mask: Uint8Array | undefined;
  for (const step of model.steps) {
    const out = step.run(current, mask);
    current = out.y;
    mask = out.mask;
    outputs.push({
      name: step.name,
      className: step.className,
      output: current,
    });
  }
  return outputs;
}

/**
 * Runs a whole input set in batches of `batchSize` and joins the results.
 *
 * @param input `[examples, ...model.inputShape]`.
 * @returns `[examples, ...outputShape]`, e.g. softmax rows `[examples,
 *   classes]`.
 * @throws {RangeError} on a bad input shape or batch size.
 */
export function predict(
  model: Model,
  input: Tensor,
  options: { batchSize?: number } = {},
): Tensor {
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `predict: batchSize ${batchSize} is not an integer >= 1`,
    );
  }
  checkInput(model, input);
  const examples = input.shape[0]!;
  const exampleSize = sizeOf(input.shape.slice(1));
  const parts: Tensor[] = [];
  for (let start = 0; start < examples; start += batchSize) {
    const end = Math.min(examples, start + batchSize);
    const batch = tensor(
      [end - start, ...input.shape.slice(1)],
      input.data.subarray(start * exampleSize, end * exampleSize),
    );
    parts.push(runBatch(model, batch));
  }
  return concatBatches(parts, model, examples);
}

function concatBatches(
  parts: Tensor[],
  model: Model,
  examples: number,
): Tensor {
  if (parts.length === 0) {
    const last = model.steps[model.steps.length - 1];
    const shape = (last ? last.outputShape : model.inputShape).map((d) =>
      d ?? 0
    );
    return tensor([0, ...shape]);
  }
  const rest = parts[0]!.shape.slice(1);
  const out = tensor([examples, ...rest]);
  let offset = 0;
  for (const part of parts) {
    out.data.set(part.data, offset);
    offset += part.data.length;
  }
  return out;
}

function checkInput(model: Model, x: Tensor): void {
  const expected = model.inputShape;
  const actual = x.shape.slice(1);
  if (
    x.shape.length !== expected.length + 1 ||
    expected.some((d, i) => d !== null && d !== actual[i])
  ) {
    throw new RangeError(
      `model "${model.name}" expects input [batch, ${
        expected.map((d) => d ?? "any").join(", ")
      }], got ${formatShape(x.shape)}`,
    );
  }
}

// ---------------------------------------------------------------------------
// Layer builders, one per supported class.

const SPATIAL_ONLY = ["channels_last"];

function known(r: ConfigReader, input: Shape, rank: number): number[] {
  if (input.length !== rank || input.some((d) => d === null)) {
    throw r.error(
      `needs a known rank-${rank} input shape (without batch), got ` +
        `[${input.map((d) => d ?? "null").join(", ")}]`,
    );
  }
  return input as number[];
}

function activation(r: ConfigReader, key = "activation"): string {
  return r.oneOf(key, activationNames());
}

function buildConv2d(r: ConfigReader, input: Shape): Plan {
  r.only("data_format", SPATIAL_ONLY);
  r.only("dilation_rate", [1, [1, 1]]);
  r.only("groups", [1]);
  const [height, width, cin] = known(r, input, 3) as [number, number, number];
  const filters = r.int("filters");
  const [kh, kw] = r.pair("kernel_size");
  const config = {
    strides: r.pair("strides"),
    padding: r.oneOf("padding", ["same", "valid"] as const),
    activation: activation(r),
  };
  const useBias = r.bool("use_bias");
  const out = (n: number, k: number, s: number) =>
    config.padding === "same" ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1;
  if (config.padding === "valid" && (kh > height || kw > width)) {
    throw r.error(`kernel ${kh}x${kw} does not fit input ${height}x${width}`);
  }
  return {
    weights: [
      { what: "kernel", shape: [kh, kw, cin, filters] },
      ...(useBias ? [{ what: "bias", shape: [filters] }] : []),
    ],
    outputShape: [
      out(height, kh, config.strides[0]),
      out(width, kw, config.strides[1]),
      filters,
    ],
    masks: false,
    make: ([kernel, bias]) => (x) => ({ y: conv2d(x, kernel!, bias, config) }),
  };
}

function buildPool(kind: "max" | "avg"): Builder {
  return (r, input) => {
    r.only("data_format", SPATIAL_ONLY);
    const [height, width, channels] = known(r, input, 3);
    const poolSize = r.pair("pool_size");
    // tfjs-layers Pooling2D: `strides: null` means the pool size.
    const strides = r.raw("strides") === null ? poolSize : r.pair("strides");
    const config: Pool2dConfig = {
      poolSize,
      strides,
      padding: r.oneOf("padding", ["same", "valid"] as const),
    };
    const out = (n: number, k: number, s: number) =>
      config.padding === "same"
        ? Math.ceil(n / s)
        : Math.floor((n - k) / s) + 1;
    if (
      config.padding === "valid" &&
      (poolSize[0] > height! || poolSize[1] > width!)
    ) {
      throw r.error(
        `pool ${poolSize.join("x")} does not fit input ${height}x${width}`,
      );
    }
    const pool = kind === "max" ? maxPool2d : avgPool2d;
    return {
      weights: [],
      outputShape: [
        out(height!, poolSize[0], strides[0]),
        out(width!, poolSize[1], strides[1]),
        channels!,
      ],
      masks: false,
      make: () => (x) => ({ y: pool(x, config) }),
    };
  };
}

function buildGlobalPool(kind: "max" | "avg"): Builder {
  return (r, input) => {
    r.only("data_format", SPATIAL_ONLY);
    r.only("keepdims", [false]);
    const [, , channels] = known(r, input, 3);
    const pool = kind === "max" ? globalMaxPool2d : globalAvgPool2d;
    return {
      weights: [],
      outputShape: [channels!],
      masks: false,
      make: () => (x) => ({ y: pool(x) }),
    };
  };
}

function buildGlobalPool1d(kind: "max" | "avg"): Builder {
  return (r, input) => {
    // Like every layer without supportsMasking (see the module comment), it
    // pools every step, padding included (Keras would skip masked steps).
    r.only("data_format", SPATIAL_ONLY);
    r.only("keepdims", [false]);
    if (input.length !== 2 || typeof input[1] !== "number") {
      throw r.error(
        `needs a [time, features] input (without batch), got ` +
          `[${input.map((d) => d ?? "null").join(", ")}]`,
      );
    }
    const pool = kind === "max" ? globalMaxPool1d : globalAvgPool1d;
    return {
      weights: [],
      outputShape: [input[1]],
      masks: false,
      make: () => (x) => ({ y: pool(x) }),
    };
  };
}

function buildFlatten(r: ConfigReader, input: Shape): Plan {
  r.only("data_format", SPATIAL_ONLY);
  const dims = known(r, input, input.length);
  return {
    weights: [],
    outputShape: [sizeOf(dims)],
    masks: false,
    make: () => (x) => ({ y: flatten(x) }),
  };
}

function buildDense(r: ConfigReader, input: Shape, masked: boolean): Plan {
  // tfjs-layers Dense sets supportsMasking, so a mask passes through it.
  const inDim = input[input.length - 1];
  if (typeof inDim !== "number") {
    throw r.error(`needs a known last input axis, got [${input.join(", ")}]`);
  }
  const units = r.int("units");
  const act = activation(r);
  const useBias = r.bool("use_bias");
  return {
    weights: [
      { what: "kernel", shape: [inDim, units] },
      ...(useBias ? [{ what: "bias", shape: [units] }] : []),
    ],
    outputShape: [...input.slice(0, -1), units],
    masks: masked,
    make: ([kernel, bias]) => (x, mask) => ({
      y: dense(x, kernel!, bias, act),
      ...(mask ? { mask } : {}),
    }),
  };
}

function buildPassThrough(
  r: ConfigReader,
  input: Shape,
  masked: boolean,
): Plan {
  // Dropout and SpatialDropout1D: identity at inference, mask passed on.
  void r;
  return {
    weights: [],
    outputShape: input,
    masks: masked,
    make: () => (x, mask) => ({ y: dropout(x), mask }),
  };
}

function buildActivation(r: ConfigReader, input: Shape, masked: boolean): Plan {
  const act = activation(r);
  const last = input[input.length - 1];
  return {
    weights: [],
    outputShape: input,
    masks: masked,
    make: () => (x, mask) => {
      const y = tensor(x.shape, Float32Array.from(x.data));
      const axis = last ?? x.shape[x.shape.length - 1]!;
      applyActivation(act, y.data, 0, y.data.length, axis);
      return { y, mask };
    },
  };
}

function buildEmbedding(r: ConfigReader, input: Shape): Plan {
  if (input.length !== 1) {
    throw r.error(
      `needs token ids [batch, time], got input [batch, ${input.join(", ")}]`,
    );
  }
  const inputDim = r.int("input_dim");
  const outputDim = r.int("output_dim");
  const maskZero = r.flag("mask_zero");
  return {
    weights: [{ what: "embeddings", shape: [inputDim, outputDim] }],
    outputShape: [input[0]!, outputDim],
    masks: maskZero,
    make: ([table]) => (ids) => ({
      y: embedding(ids, table!),
      ...(maskZero ? { mask: maskFromIds(ids) } : {}),
    }),
  };
}

/** The config of a SimpleRNN or LSTM, checked against what the engine runs. */
function recurrentConfig(r: ConfigReader): LstmConfig | SimpleRnnConfig {
  r.only("return_state", [false]);
  r.only("stateful", [false]);
  const base: SimpleRnnConfig = {
    units: r.int("units"),
    activation: activation(r),
    useBias: r.bool("use_bias"),
    returnSequences: r.bool("return_sequences"),
    goBackwards: r.bool("go_backwards"),
  };
  if (r.layer.className !== "LSTM") return base;
  return {
    ...base,
    recurrentActivation: activation(r, "recurrent_activation"),
  };
}

function recurrentPlan(
  r: ConfigReader,
  input: Shape,
  config: LstmConfig | SimpleRnnConfig,
): Omit<Plan, "make"> & {
  make: (w: Tensor[]) => (x: Tensor, m?: Uint8Array) => Tensor;
} {
  if (input.length !== 2 || typeof input[1] !== "number") {
    throw r.error(
      `needs input [batch, time, features] with known features, got ` +
        `[batch, ${input.map((d) => d ?? "null").join(", ")}]`,
    );
  }
  const features = input[1];
  const gates = r.layer.className === "LSTM" ? 4 : 1;
  const width = gates * config.units;
  const run = (w: Tensor[]) => {
    const weights = { kernel: w[0]!, recurrentKernel: w[1]!, bias: w[2] };
    return (x: Tensor, mask?: Uint8Array) =>
      "recurrentActivation" in config
        ? lstm(x, weights, config, mask)
        : simpleRnn(x, weights, config, mask);
  };
  return {
    weights: [
      { what: "kernel", shape: [features, width] },
      { what: "recurrent_kernel", shape: [config.units, width] },
      ...(config.useBias ? [{ what: "bias", shape: [width] }] : []),
    ],
    outputShape: config.returnSequences
      ? [input[0]!, config.units]
      : [config.units],
    masks: false,
    make: run,
  };
}

function buildRecurrent(r: ConfigReader, input: Shape, masked: boolean): Plan {
  const config = recurrentConfig(r);
  const plan = recurrentPlan(r, input, config);
  return {
    ...plan,
    masks: masked && config.returnSequences,
    make: (w) => {
      const run = plan.make(w);
      return (x, mask) => ({
        y: run(x, mask),
        ...(config.returnSequences && mask ? { mask } : {}),
      });
    },
  };
}

function buildBidirectional(
  r: ConfigReader,
  input: Shape,
  masked: boolean,
): Plan {
  const mergeMode = r.raw("merge_mode") as MergeMode;
  if (mergeMode === null) {
    throw r.error(
      "unsupported option merge_mode=null (two outputs; supported: concat, " +
        "sum, mul, ave)",
    );
  }
  r.oneOf("merge_mode", ["concat", "sum", "mul", "ave"] as const);
  const inner = r.raw("layer") as { class_name?: unknown; config?: unknown };
  const innerLayer: LayerConfig = {
    className: String(inner?.class_name),
    name: `${r.layer.name}/${String(inner?.class_name)}`,
    config: (inner?.config ?? {}) as Record<string, unknown>,
  };
  const innerReader = new ConfigReader(innerLayer);
  if (innerLayer.className !== "SimpleRNN" && innerLayer.className !== "LSTM") {
    throw r.error(
      `unsupported wrapped layer class "${innerLayer.className}" ` +
        `(supported: SimpleRNN, LSTM)`,
    );
  }
  const forward = recurrentConfig(innerReader);
  // tfjs Bidirectional builds the backward copy with go_backwards flipped.
  const backward = { ...forward, goBackwards: !forward.goBackwards };
  const fPlan = recurrentPlan(innerReader, input, forward);
  const bPlan = recurrentPlan(innerReader, input, backward);
  const units = mergeMode === "concat" ? 2 * forward.units : forward.units;
  const nF = fPlan.weights.length;
  return {
    weights: [
      ...fPlan.weights.map((w) => ({ ...w, what: `forward ${w.what}` })),
      ...bPlan.weights.map((w) => ({ ...w, what: `backward ${w.what}` })),
    ],
    outputShape: forward.returnSequences ? [input[0]!, units] : [units],
    masks: masked && forward.returnSequences,
    make: (w) => {
      const runF = fPlan.make(w.slice(0, nF));
      const runB = bPlan.make(w.slice(nF));
      return (x, mask) => ({
        y: bidirectional(
          x,
          mask,
          runF,
          runB,
          mergeMode,
          forward.returnSequences,
        ),
        ...(forward.returnSequences && mask ? { mask } : {}),
      });
    },
  };
}

const BUILDERS: Record<string, Builder> = {
  Conv2D: buildConv2d,
  MaxPooling2D: buildPool("max"),
  AveragePooling2D: buildPool("avg"),
  GlobalAveragePooling2D: buildGlobalPool("avg"),
  GlobalMaxPooling2D: buildGlobalPool("max"),
  GlobalAveragePooling1D: buildGlobalPool1d("avg"),
  GlobalMaxPooling1D: buildGlobalPool1d("max"),
  Flatten: buildFlatten,
  Dense: buildDense,
  Dropout: buildPassThrough,
  SpatialDropout1D: buildPassThrough,
  Activation: buildActivation,
  Embedding: buildEmbedding,
  SimpleRNN: buildRecurrent,
  LSTM: buildRecurrent,
  Bidirectional: buildBidirectional,
};
