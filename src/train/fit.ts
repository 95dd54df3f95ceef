/**
 * The training loop: Adam on sparse categorical cross-entropy, with what the
 * Layers API's `fit` lacks: per-variable gradient clipping (Keras `clipnorm`),
 * early stopping that restores the best weights, reduce-on-plateau, class
 * weights, and a checkpoint after every epoch from which an interrupted run
 * continues with exactly the result of an uninterrupted one.
 *
 * Determinism: all randomness (weight initialisers, dropout masks, the epoch
 * shuffle) draws from one seeded generator that replaces `Math.random` (see
 * `determinism.ts`); its state is part of the checkpoint.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TrainingConfig } from "../sweep/schema.ts";
import type { SplitData } from "./data.ts";
import { range } from "./data.ts";

/** A seeded generator whose state can be saved and restored. */
export interface RandomSource {
  next(): number;
  getState(): unknown;
  setState(state: never): void;
}

/** One row of a run's history, as Keras's `History` records it. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  val_loss: number;
  accuracy: number;
  val_accuracy: number;
  lr: number;
  seconds: number;
}

/** Everything besides tensors that a resumed run needs. */
export interface LoopState {
  /** Epochs completed. */
  epoch: number;
  history: EpochRecord[];
  lr: number;
  /**
   * Best monitored value so far, lower is better: the validation loss, or
   * minus the validation accuracy (`earlyStopping.monitor`).
   */
  bestValLoss: number;
  /** 1-based epoch of the lowest validation loss so far (0: none yet). */
  bestEpoch: number;
  /** Epochs since the last improvement, for early stopping. */
  waitStop: number;
  /** Epochs since the last improvement, for reduce-on-plateau. */
  waitLr: number;
  /** Validation loss the plateau counter compares against. */
  lrBest: number;
  stoppedEarly: boolean;
}

/** Tensors and state saved after an epoch. */
export interface Checkpoint {
  state: LoopState;
  rng: unknown;
  weights: Float32Array[];
  bestWeights: Float32Array[] | null;
  optimizer: { values: Float32Array[]; shapes: number[][]; accBeta: number[] };
}

export class NonFiniteLossError extends Error {
  /**
   * @param batch the training batch, or null when the validation loss of
   *   the epoch was the non-finite one.
   */
  constructor(
    readonly epoch: number,
    readonly batch: number | null,
    value: number,
  ) {
    super(
      (batch === null
        ? `validation loss became ${value} after epoch ${epoch}`
        : `training loss became ${value} at epoch ${epoch}, batch ${batch}`) +
        "; try a lower learning rate or gradient clipping " +
        "(training.clipNorm)",
    );
    this.name = "NonFiniteLossError";
  }
}

export interface FitOptions {
  rng: RandomSource;
  resume?: Checkpoint;
  /** Called after each epoch with a checkpoint to persist. */
  onEpoch?: (record: EpochRecord, checkpoint: Checkpoint) => Promise<void>;
  /** Called every few batches, for progress display. */
  onBatch?: (epoch: number, batch: number, batches: number) => void;
  /** Class weights indexed by class, or null. */
  classWeights?: Float32Array | null;
}

export interface FitResult {
  state: LoopState;
}

/** sklearn's "balanced" weights: n / (classes * count of the class). */
export function balancedClassWeights(
  labels: Int32Array,
  classes: number,
): Float32Array {
  const counts = new Float64Array(classes);
  for (const y of labels) counts[y]!++;
  const w = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    w[c] = counts[c] ? labels.length / (classes * counts[c]!) : 0;
  }
  return w;
}

function readAll(tensors: tf.Tensor[]): Float32Array[] {
  return tensors.map((t) => t.dataSync() as Float32Array).map((d) =>
    new Float32Array(d)
  );
}

function setWeightsFrom(model: tf.LayersModel, values: Float32Array[]) {
  const shapes = model.getWeights().map((w) => w.shape);
  if (shapes.length !== values.length) {
    throw new Error(
      `checkpoint has ${values.length} weight arrays, model needs ${shapes.length}`,
    );
  }
  const tensors = values.map((v, i) => tf.tensor(v, shapes[i]));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/**
 * Mirrors each image of an NHWC batch left-right with probability 1/2, the
 * choice drawn from `rng` (so a resumed run flips the same images). Disposes
 * `x` and returns a new tensor.
 */
export function flipHalf(x: tf.Tensor, rng: RandomSource): tf.Tensor {
  const batch = x.shape[0]!;
  const chosen = new Float32Array(batch);
  for (let i = 0; i < batch; i++) chosen[i] = rng.next() < 0.5 ? 1 : 0;
  const out = tf.tidy(() => {
    const mask = tf.tensor(chosen, [batch, 1, 1, 1]);
    const flipped = tf.reverse(x, 2);
    return tf.add(tf.mul(flipped, mask), tf.mul(x, tf.sub(1, mask)));
  });
  x.dispose();
  return out;
}

/** Fisher-Yates shuffle of 0..n-1 drawn from `rng`. */
export function permutation(n: number, rng: RandomSource): Int32Array {
  const p = range(0, n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Mean cross-entropy of `probs` against `labels`, weighted per sample by
 * `classWeights` when given. Probabilities are clipped to [eps, 1 - eps] as
 * Keras and TensorFlow.js do.
 */
function sparseCrossEntropy(
  labels: tf.Tensor1D,
  probs: tf.Tensor,
  classWeights: tf.Tensor1D | null,
): tf.Scalar {
  return tf.tidy(() => {
    const classes = probs.shape[probs.shape.length - 1]!;
    const eps = tf.backend().epsilon();
    const p = tf.clipByValue(probs, eps, 1 - eps);
    const oneHot = tf.oneHot(labels, classes);
    const perSample = tf.neg(tf.sum(tf.mul(oneHot, tf.log(p)), -1));
    if (!classWeights) return tf.mean(perSample) as tf.Scalar;
    return tf.mean(tf.mul(perSample, tf.gather(classWeights, labels)));
  });
}

/** Per-variable gradient clipping, as Keras's `clipnorm`. */
function clipByNorm(grads: tf.NamedTensorMap, clipNorm: number) {
  for (const [name, g] of Object.entries(grads)) {
    grads[name] = tf.tidy(() => {
      const norm = tf.sqrt(tf.sum(tf.square(g)));
      const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
      return tf.mul(g, scale);
    });
    g.dispose();
  }
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  /** `[n, classes]` softmax outputs, row-major. */
  probs: Float32Array;
}

/**
 * Loss (cross-entropy plus the regularisation penalty, as Keras reports it),
 * accuracy and probabilities of `model` on a whole split, in batches.
 */
export function evaluate(
  model: tf.LayersModel,
  split: SplitData,
  batchSize = 256,
): Evaluation {
  const classes = model.outputs[0]!.shape[1] as number;
  const probs = new Float32Array(split.n * classes);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.n; start += batchSize) {
    const end = Math.min(split.n, start + batchSize);
    const rows = range(start, end);
    const [batchLoss, out] = tf.tidy(() => {
      const x = split.inputs(rows);
      const y = tf.tensor1d(split.labels.subarray(start, end), "int32");
      const p = model.predict(x) as tf.Tensor;
      const l = sparseCrossEntropy(y, p, null);
      return [l.dataSync()[0]!, p.dataSync() as Float32Array];
    });
    probs.set(out, start * classes);
    lossSum += batchLoss * (end - start);
  }
  for (let i = 0; i < split.n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
    }
    if (best === split.labels[i]) correct++;
  }
  const penalty = regularizationPenalty(model);
  return {
    loss: split.n ? lossSum / split.n + penalty : NaN,
    accuracy: split.n ? correct / split.n : NaN,
    probs,
  };
}

type WithLosses = { calculateLosses(): tf.Scalar[] };

function regularizationPenalty(model: tf.LayersModel): number {
  const losses = (model as unknown as WithLosses).calculateLosses();
  let total = 0;
  for (const l of losses) total += l.dataSync()[0]!;
  tf.dispose(losses);
  return total;
}

function initialState(config: TrainingConfig): LoopState {
  return {
    epoch: 0,
    history: [],
    lr: config.learningRate,
    bestValLoss: Infinity,
    bestEpoch: 0,
    waitStop: 0,
    waitLr: 0,
    lrBest: Infinity,
    stoppedEarly: false,
  };
}

type AdamInternals = {
  learningRate: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
};

async function saveOptimizer(
  optimizer: tf.AdamOptimizer,
): Promise<Checkpoint["optimizer"]> {
  const named = await optimizer.getWeights();
  const adam = optimizer as unknown as AdamInternals;
  const out = {
    values: readAll(named.map((n) => n.tensor)),
    shapes: named.map((n) => n.tensor.shape),
    accBeta: [adam.accBeta1.dataSync()[0]!, adam.accBeta2.dataSync()[0]!],
  };
  // Only the first entry (the step count) is a fresh tensor; the others are
  // the optimizer's own moment variables and must stay alive.
  named[0]?.tensor.dispose();
  return out;
}

async function restoreOptimizer(
  optimizer: tf.AdamOptimizer,
  saved: Checkpoint["optimizer"],
): Promise<void> {
  const named = saved.values.map((v, i) => ({
    name: `restored_${i}`,
    tensor: tf.tensor(v, saved.shapes[i]),
  }));
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  // setWeights recomputes beta^t with pow(); training multiplies step by step.
  // The saved products keep a resumed run bit-identical to an unbroken one.
  const adam = optimizer as unknown as AdamInternals;
  adam.accBeta1.assign(tf.scalar(saved.accBeta[0]!));
  adam.accBeta2.assign(tf.scalar(saved.accBeta[1]!));
}

interface StepResult {
  /** The batch loss, or NaN when the model's outputs are not finite. */
  loss: number;
  correct: number;
}

function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  x: tf.Tensor,
  y: tf.Tensor1D,
  classWeights: tf.Tensor1D | null,
  clipNorm: number | null,
): StepResult {
  let predicted: tf.Tensor | null = null;
  let outputSum: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const p = model.apply(x, { training: true }) as tf.Tensor;
    predicted = tf.keep(tf.argMax(p, -1));
    // The loss clips probabilities, and the wasm clip maps NaN to a bound,
    // so a model that produced NaN would still report a finite loss. The
    // sum of its outputs is not clipped: it shows the NaN.
    outputSum = tf.keep(tf.sum(p));
    let total = sparseCrossEntropy(y, p, classWeights);
    for (const penalty of (model as unknown as WithLosses).calculateLosses()) {
      total = tf.add(total, penalty);
    }
    return total;
  }, variables);
  if (clipNorm !== null) clipByNorm(grads, clipNorm);
  optimizer.applyGradients(grads);
  const finite = Number.isFinite(outputSum!.dataSync()[0]!);
  const loss = finite ? value.dataSync()[0]! : NaN;
  const correct = tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(predicted!, tf.cast(y, "int32")), "int32"))
      .dataSync()[0]!
  );
  tf.dispose([value, predicted!, outputSum!, ...Object.values(grads)]);
  return { loss, correct };
}

/** Updates early stopping and reduce-on-plateau after an epoch. */
function afterEpoch(
  state: LoopState,
  config: TrainingConfig,
  valLoss: number,
  valAccuracy: number,
): { improved: boolean } {
  const minDelta = config.earlyStopping?.minDelta ?? 0;
  // Lower is better for both: accuracy is watched through its negative.
  const monitored = config.earlyStopping?.monitor === "val_accuracy"
    ? -valAccuracy
    : valLoss;
  const improved = monitored < state.bestValLoss - minDelta;
  if (improved) {
    state.bestValLoss = monitored;
    state.bestEpoch = state.epoch;
    state.waitStop = 0;
  } else {
    state.waitStop++;
    if (
      config.earlyStopping && state.waitStop >= config.earlyStopping.patience
    ) {
      state.stoppedEarly = true;
    }
  }
  const plateau = config.reduceLrOnPlateau;
  if (plateau) {
    // As Keras's ReduceLROnPlateau, improvement is judged on its own best
    // value, but strictly (Keras's default min_delta is 1e-4).
    if (valLoss < state.lrBest) {
      state.lrBest = valLoss;
      state.waitLr = 0;
    } else if (++state.waitLr >= plateau.patience) {
      state.lr = Math.max(plateau.minLr, state.lr * plateau.factor);
      state.waitLr = 0;
    }
  }
  return { improved };
}

/**
 * Trains `model` on `data.train`, validating on `data.val` after every epoch.
 * Ends with the weights of the best epoch by the monitored value (lowest
 * validation loss by default) when early stopping is configured (Keras
 * `restore_best_weights=True`), otherwise with the last epoch's weights.
 *
 * @throws {NonFiniteLossError} when a batch loss is NaN or infinite; the
 *   checkpoints of the epochs before it remain.
 */
export async function fit(
  model: tf.LayersModel,
  data: { train: SplitData; val: SplitData },
  config: TrainingConfig,
  opts: FitOptions,
): Promise<FitResult> {
  const optimizer = tf.train.adam(config.learningRate);
  const adam = optimizer as unknown as AdamInternals;
  const state = opts.resume
    ? structuredClone(opts.resume.state)
    : initialState(config);
  let bestWeights = opts.resume?.bestWeights ?? null;
  if (opts.resume) {
    setWeightsFrom(model, opts.resume.weights);
    await restoreOptimizer(optimizer, opts.resume.optimizer);
    opts.rng.setState(opts.resume.rng as never);
  }
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const classWeights = opts.classWeights
    ? tf.tensor1d(opts.classWeights)
    : null;
  const { train, val } = data;
  const batches = Math.ceil(train.n / config.batchSize);

  while (state.epoch < config.epochs && !state.stoppedEarly) {
    const started = performance.now();
    adam.learningRate = state.lr;
    const order = permutation(train.n, opts.rng);
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < batches; b++) {
      const rows = order.subarray(
        b * config.batchSize,
        Math.min(train.n, (b + 1) * config.batchSize),
      );
      const x = config.augment?.horizontalFlip
        ? flipHalf(train.inputs(rows), opts.rng)
        : train.inputs(rows);
      const y = tf.tensor1d(
        Int32Array.from(rows, (r) => train.labels[r]!),
        "int32",
      );
      const step = trainStep(
        model,
        optimizer,
        variables,
        x,
        y,
        classWeights,
        config.clipNorm,
      );
      tf.dispose([x, y]);
      if (!Number.isFinite(step.loss)) {
        throw new NonFiniteLossError(state.epoch + 1, b + 1, step.loss);
      }
      lossSum += step.loss * rows.length;
      correct += step.correct;
      opts.onBatch?.(state.epoch + 1, b + 1, batches);
    }
    const v = evaluate(model, val);
    if (!Number.isFinite(v.loss)) {
      throw new NonFiniteLossError(state.epoch + 1, null, v.loss);
    }
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      loss: lossSum / train.n,
      val_loss: v.loss,
      accuracy: correct / train.n,
      val_accuracy: v.accuracy,
      lr: state.lr,
      seconds: (performance.now() - started) / 1000,
    };
    state.epoch++;
    state.history.push(record);
    const { improved } = afterEpoch(state, config, v.loss, v.accuracy);
    if (improved && config.earlyStopping) {
      bestWeights = readAll(model.getWeights());
    }
    if (opts.onEpoch) {
      await opts.onEpoch(record, {
        state: structuredClone(state),
        rng: opts.rng.getState(),
        weights: readAll(model.getWeights()),
        bestWeights,
        optimizer: await saveOptimizer(optimizer),
      });
    }
  }
  if (config.earlyStopping && bestWeights) setWeightsFrom(model, bestWeights);
  classWeights?.dispose();
  optimizer.dispose();
  return { state };
}
