/**
 * Builds the TensorFlow.js models the sweeps train, from a resolved config.
 *
 * Every activation and initializer is set explicitly: TensorFlow.js defaults
 * differ from Keras (its LSTM uses hard sigmoid for the recurrent activation
 * and no unit forget bias; its conv and dense kernels default to Glorot
 * normal). The choices here are Keras's defaults, so results are comparable
 * with a Keras study of the same task.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type {
  CnnModelConfig,
  CnnRunConfig,
  RecurrentModelConfig,
  RunConfig,
  TextRunConfig,
} from "../sweep/schema.ts";
import { isCnn } from "../sweep/schema.ts";

/** CIFAR-10 input: NHWC `[batch, 32, 32, 3]`. */
export const CIFAR_INPUT_SHAPE = [32, 32, 3];

/** Builds the CNN: [Conv2D -> 2x2 pool] x N -> flatten/GAP -> Dense -> 10. */
export function buildCnn(model: CnnModelConfig, classes = 10): tf.Sequential {
  const net = tf.sequential({ name: "cnn" });
  model.filters.forEach((filters, i) => {
    net.add(tf.layers.conv2d({
      ...(i === 0 ? { inputShape: CIFAR_INPUT_SHAPE } : {}),
      filters,
      kernelSize: model.kernelSizes[i]!,
      padding: model.padding,
      activation: "relu",
      kernelInitializer: "glorotUniform",
      biasInitializer: "zeros",
    }));
    const pool = { poolSize: 2, strides: 2, padding: "valid" as const };
    net.add(
      model.pooling === "max"
        ? tf.layers.maxPooling2d(pool)
        : tf.layers.averagePooling2d(pool),
    );
  });
  net.add(
    model.head === "flatten"
      ? tf.layers.flatten()
      : tf.layers.globalAveragePooling2d({}),
  );
  for (const units of model.dense) {
    if (model.dropout > 0) net.add(tf.layers.dropout({ rate: model.dropout }));
    net.add(tf.layers.dense({
      units,
      activation: "relu",
      kernelInitializer: "glorotUniform",
    }));
  }
  if (model.dropout > 0) net.add(tf.layers.dropout({ rate: model.dropout }));
  net.add(tf.layers.dense({
    units: classes,
    activation: "softmax",
    kernelInitializer: "glorotUniform",
  }));
  return net;
}

/**
 * Builds the text classifier: Embedding -> [token Dropout] ->
 * SpatialDropout1D -> [SimpleRNN or LSTM, optionally bidirectional ->
 * Dropout] x N -> Dense softmax. Stacked
 * layers return full sequences; the last one too when a pooling head (global
 * max or average over time) reads all its steps, and then the pooling comes
 * before that layer's Dropout, so dropout scaling never inflates the maximum.
 */
export function buildRecurrent(
  cell: "rnn" | "lstm",
  model: RecurrentModelConfig,
  vocabularySize: number,
  sequenceLength: number,
  classes = 3,
): tf.Sequential {
  const net = tf.sequential({ name: cell === "rnn" ? "simple_rnn" : "lstm" });
  const l2 = model.l2 > 0 ? () => tf.regularizers.l2({ l2: model.l2 }) : null;
  net.add(tf.layers.embedding({
    inputDim: vocabularySize,
    outputDim: model.embeddingDim,
    inputLength: sequenceLength,
    maskZero: model.maskZero,
    embeddingsInitializer: "randomUniform",
    ...((model.embeddingL2 ?? 0) > 0
      ? {
        embeddingsRegularizer: tf.regularizers.l2({ l2: model.embeddingL2! }),
      }
      : {}),
  }));
  if ((model.tokenDropout ?? 0) > 0) {
    // One draw per token, broadcast over its embedding: whole words vanish.
    net.add(tf.layers.dropout({
      rate: model.tokenDropout!,
      noiseShape: [null, sequenceLength, 1] as unknown as number[],
    }));
  }
  if (model.embeddingDropout > 0) {
    net.add(tf.layers.spatialDropout1d({ rate: model.embeddingDropout }));
  }
  const head = model.head ?? "last";
  model.units.forEach((units, i) => {
    const common = {
      units,
      returnSequences: i < model.units.length - 1 || head !== "last",
      activation: "tanh" as const,
      kernelInitializer: "glorotUniform" as const,
      recurrentInitializer: "orthogonal" as const,
      recurrentDropout: model.recurrentDropout,
      ...(l2 ? { kernelRegularizer: l2(), recurrentRegularizer: l2() } : {}),
    };
    const layer = cell === "lstm"
      ? tf.layers.lstm({
        ...common,
        recurrentActivation: "sigmoid",
        unitForgetBias: true,
      })
      : tf.layers.simpleRNN(common);
    net.add(
      model.bidirectional
        ? tf.layers.bidirectional({ layer, mergeMode: "concat" })
        : layer,
    );
    if (i === model.units.length - 1 && head === "global_max") {
      net.add(tf.layers.globalMaxPooling1d({}));
    }
    if (i === model.units.length - 1 && head === "global_average") {
      net.add(tf.layers.globalAveragePooling1d({}));
    }
    if (model.dropout > 0) net.add(tf.layers.dropout({ rate: model.dropout }));
  });
  net.add(tf.layers.dense({
    units: classes,
    activation: "softmax",
    kernelInitializer: "glorotUniform",
    ...(l2 ? { kernelRegularizer: l2() } : {}),
  }));
  return net;
}

/** Builds the model a run config describes. */
export function buildModel(
  config: RunConfig,
  vocabularySize = 0,
): tf.Sequential {
  if (isCnn(config)) return buildCnn((config as CnnRunConfig).model);
  const text = config as TextRunConfig;
  return buildRecurrent(
    text.family,
    text.model,
    vocabularySize,
    text.data.sequenceLength,
  );
}
