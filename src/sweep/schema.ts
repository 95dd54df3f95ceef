/**
 * The resolved configuration of one training run, its defaults per model
 * family, and the validator that turns untrusted YAML into it.
 *
 * Every run is fully described by a `RunConfig`; its id is a hash of it (see
 * `run_id.ts`). Defaults follow a reference Keras study of the same task
 * (README, "Experiment files").
 *
 * @module
 */

/** The three model families the pipeline trains. */
export type Family = "cnn" | "rnn" | "lstm";
export const FAMILIES: readonly Family[] = ["cnn", "rnn", "lstm"];

export interface SplitLimit {
  train?: number;
  val?: number;
  test?: number;
}

export interface CifarDataConfig {
  dataset: "cifar10";
  /** Share of the 50,000 training images held out for validation. */
  valFraction: number;
  /** Seed of the stratified train/validation split (kept apart from the
   * run's seed, so that changing the seed does not move the split). */
  splitSeed: number;
  /** Take only the first N images of each split (smoke tests). */
  limit?: SplitLimit;
}

export interface TextDataConfig {
  dataset: "nusax";
  language: string;
  /** Vocabulary size including padding (0) and `[UNK]` (1), as in Keras. */
  maxTokens: number;
  /** Token sequences are padded or truncated at the end to this length. */
  sequenceLength: number;
  limit?: SplitLimit;
}

export interface CnnModelConfig {
  /** Filters of each Conv2D layer, in order; its length is the layer count. */
  filters: number[];
  /** Square kernel size of each Conv2D layer; same length as `filters`. */
  kernelSizes: number[];
  padding: "valid" | "same";
  /** The 2x2 pooling after every convolution. */
  pooling: "max" | "average";
  /** How the last feature map becomes a vector. */
  head: "flatten" | "global_average";
  /** Units of the hidden Dense layers (ReLU) before the softmax. */
  dense: number[];
  /** Dropout rate before each Dense layer, the output included (0: none). */
  dropout: number;
}

export interface RecurrentModelConfig {
  embeddingDim: number;
  /** Units of each recurrent layer; its length is the layer count. */
  units: number[];
  bidirectional: boolean;
  /** Dropout after each recurrent layer. */
  dropout: number;
  /** SpatialDropout1D on the embeddings (drops whole embedding channels). */
  embeddingDropout: number;
  /**
   * Word dropout: the rate at which whole tokens' embedding vectors are
   * zeroed during training (a Dropout with noise shape `[batch, time, 1]`,
   * before the SpatialDropout1D). Absent means 0, which keeps the run ids of
   * configurations written before it existed.
   */
  tokenDropout?: number;
  recurrentDropout: number;
  /** L2 factor on recurrent and Dense kernels (0 for none). */
  l2: number;
  /**
   * L2 factor on the embedding matrix (Keras `embeddings_regularizer`).
   * Absent means 0, which keeps the run ids of configurations written
   * before it existed.
   */
  embeddingL2?: number;
  /** Embedding `mask_zero`: recurrent layers skip padding steps. */
  maskZero: boolean;
  /**
   * How the last recurrent layer's outputs become one vector: its final
   * state (`last`, the default, also when absent, which keeps the run ids of
   * configurations written before this existed), or the maximum or mean over
   * all time steps of its output sequence (GlobalMaxPooling1D /
   * GlobalAveragePooling1D). The pooling heads need `maskZero: false`:
   * TensorFlow.js's global 1D pooling ignores the mask and pools the padding
   * steps too, where Keras's leaves them out, so with a mask the same config
   * would mean two different models.
   */
  head?: RecurrentHead;
}

/** See {@link RecurrentModelConfig.head}. */
export type RecurrentHead = "last" | "global_max" | "global_average";

export interface EarlyStoppingConfig {
  /** Epochs without improvement of the monitored value before stopping. */
  patience: number;
  minDelta: number;
  /**
   * What to watch, as Keras's `monitor`: the validation loss (the default,
   * also when absent) or the validation accuracy. The restored weights are
   * those of the best epoch by this value.
   */
  monitor?: "val_loss" | "val_accuracy";
}

export interface ReduceLrConfig {
  factor: number;
  patience: number;
  minLr: number;
}

export interface TrainingConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /**
   * Clip each variable's gradient to this norm (Keras `clipnorm`); null for
   * no clipping.
   */
  clipNorm: number | null;
  /** `balanced` weighs each class by n / (classes * count), as sklearn. */
  classWeight: "none" | "balanced";
  earlyStopping: EarlyStoppingConfig | null;
  reduceLrOnPlateau: ReduceLrConfig | null;
  /**
   * Training-time augmentation of image batches. Absent means none (and
   * keeps the run ids of configurations written before it existed).
   */
  augment?: AugmentConfig;
}

export interface AugmentConfig {
  /** Mirror each training image left-right with probability 1/2. */
  horizontalFlip: boolean;
}

export interface RunConfig {
  family: Family;
  seed: number;
  data: CifarDataConfig | TextDataConfig;
  model: CnnModelConfig | RecurrentModelConfig;
  training: TrainingConfig;
}

export interface CnnRunConfig extends RunConfig {
  family: "cnn";
  data: CifarDataConfig;
  model: CnnModelConfig;
}

export interface TextRunConfig extends RunConfig {
  family: "rnn" | "lstm";
  data: TextDataConfig;
  model: RecurrentModelConfig;
}

export function isCnn(c: RunConfig): c is CnnRunConfig {
  return c.family === "cnn";
}

export function isText(c: RunConfig): c is TextRunConfig {
  return c.family === "rnn" || c.family === "lstm";
}

/**
 * Defaults per family. CNN: batch 32, 10 epochs, early stopping after 5,
 * learning rate halved after 3 flat epochs. SimpleRNN and LSTM: the reference
 * study's regularisation (the SimpleRNN needs more of it: it overfits 500
 * sentences quickly).
 */
export function familyDefaults(family: Family): RunConfig {
  const training: TrainingConfig = {
    epochs: 10,
    batchSize: 32,
    learningRate: 1e-3,
    clipNorm: 1.0,
    classWeight: "none",
    earlyStopping: { patience: 5, minDelta: 0 },
    reduceLrOnPlateau: { factor: 0.5, patience: 3, minLr: 1e-7 },
  };
  if (family === "cnn") {
    return {
      family,
      seed: 42,
      data: { dataset: "cifar10", valFraction: 0.2, splitSeed: 42 },
      model: {
        filters: [32, 64, 128],
        kernelSizes: [3, 3, 3],
        padding: "valid",
        pooling: "max",
        head: "flatten",
        dense: [128],
        dropout: 0.3,
      },
      training,
    };
  }
  const rnn = family === "rnn";
  return {
    family,
    seed: 42,
    data: {
      dataset: "nusax",
      language: "indonesian",
      maxTokens: 8000,
      sequenceLength: 80,
    },
    model: {
      embeddingDim: rnn ? 96 : 128,
      units: [rnn ? 48 : 64],
      bidirectional: true,
      dropout: rnn ? 0.3 : 0.2,
      embeddingDropout: rnn ? 0.2 : 0.1,
      recurrentDropout: rnn ? 0.1 : 0.05,
      l2: rnn ? 0.01 : 1e-4,
      maskZero: true,
    },
    training: {
      ...training,
      epochs: rnn ? 30 : 24,
      batchSize: rnn ? 24 : 32,
      classWeight: "balanced",
      earlyStopping: { patience: 6, minDelta: 0 },
    },
  };
}
