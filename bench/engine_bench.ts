/**
 * Inference throughput of the from-scratch engine against TensorFlow.js on
 * its `wasm` and `cpu` backends, on random weights, one group per model so
 * `deno bench` prints each runtime's ratio to the engine (the baseline):
 *
 * - CNN, 512 images `[32, 32, 3]`: Conv2D 32/64/128 3x3 valid ReLU, each
 *   followed by 2x2 max pooling, Flatten, Dense 128 ReLU, Dense 10 softmax;
 * - Bidirectional LSTM 64 (concat) over Embedding 8000x128, 400 sentences
 *   of 80 tokens, Dense 3 softmax;
 * - Bidirectional SimpleRNN 48 over Embedding 8000x96, same sentences.
 *
 * All runtimes use batches of 64. tfjs keeps one backend active at a time:
 * each bench selects its backend before the clock starts, and the model's
 * weights move to it on first use (tfjs-core `engine.ts` `moveData`), which
 * the warm-up run absorbs. Images per second = 512 / time per iteration,
 * sentences per second = 400 / time.
 *
 * Run with `deno bench -A bench/engine_bench.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/tfjs/backend.ts";
import { loadModelFromBytes, type Model, predict } from "../src/engine/mod.ts";

const IMAGES = 512;
const SENTENCES = 400;
const LENGTH = 80;
const VOCAB = 8000;
const BATCH = 64;
/** Each iteration is seconds of work: a few runs give stable figures. */
const RUNS = { n: 3, warmup: 1 };

await initBackend("wasm");

/** Deterministic uniform values in [lo, hi) (LCG). */
function seeded(n: number, seed: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return out;
}

/** Random weights in [-0.1, 0.1): small enough to keep activations sane. */
function randomize(model: tf.LayersModel): void {
  model.setWeights(
    model.getWeights().map((w, i) =>
      tf.tensor(seeded(w.size, 101 + i, -0.1, 0.1), w.shape)
    ),
  );
}

/** The engine's copy of a tfjs model, through an in-memory save. */
async function engineCopy(model: tf.LayersModel): Promise<Model> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const data = artifacts!.weightData!;
  const bytes = new Uint8Array(
    Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data,
  );
  return loadModelFromBytes({
    format: "layers-model",
    modelTopology: artifacts!.modelTopology,
    weightsManifest: [{
      paths: ["weights.bin"],
      weights: artifacts!.weightSpecs,
    }],
  }, [bytes]);
}

function cnn(): tf.LayersModel {
  const conv = (filters: number, first = false) =>
    tf.layers.conv2d({
      filters,
      kernelSize: 3,
      padding: "valid",
      activation: "relu",
      ...(first ? { inputShape: [32, 32, 3] } : {}),
    });
  const pool = () => tf.layers.maxPooling2d({ poolSize: 2 });
  return tf.sequential({
    layers: [
      conv(32, true),
      pool(),
      conv(64),
      pool(),
      conv(128),
      pool(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: "relu" }),
      tf.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
}

function textModel(kind: "lstm" | "rnn"): tf.LayersModel {
  const [dim, units] = kind === "lstm" ? [128, 64] : [96, 48];
  const layer = kind === "lstm"
    ? tf.layers.lstm({ units })
    : tf.layers.simpleRNN({ units });
  return tf.sequential({
    layers: [
      tf.layers.embedding({
        inputDim: VOCAB,
        outputDim: dim,
        inputShape: [LENGTH],
        maskZero: false,
      }),
      tf.layers.bidirectional({
        layer: layer as tf.RNN,
        mergeMode: "concat",
      }),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
}

/** Runs tfjs on `x` in batches of {@link BATCH}, reading every result. */
function tfjsRun(
  model: tf.LayersModel,
  x: Float32Array,
  shape: number[],
  dtype: "float32" | "int32",
): number {
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  let sink = 0;
  for (let start = 0; start < shape[0]!; start += BATCH) {
    const end = Math.min(shape[0]!, start + BATCH);
    sink += tf.tidy(() => {
      const part = x.subarray(start * size, end * size);
      const input = dtype === "int32"
        ? tf.tensor(
          Int32Array.from(part),
          [end - start, ...shape.slice(1)],
          "int32",
        )
        : tf.tensor(part, [end - start, ...shape.slice(1)]);
      return (model.predict(input) as tf.Tensor).dataSync()[0]!;
    });
  }
  return sink;
}

/** Registers the engine, tfjs-wasm and tfjs-cpu benches of one model. */
async function benchGroup(
  group: string,
  model: tf.LayersModel,
  x: Float32Array,
  shape: number[],
  dtype: "float32" | "int32",
): Promise<void> {
  randomize(model);
  const engine = await engineCopy(model);
  const input = { shape, data: x };
  Deno.bench(
    { name: `${group}: engine`, group, baseline: true, ...RUNS },
    () => {
      predict(engine, input, { batchSize: BATCH });
    },
  );
  for (const backend of ["wasm", "cpu"] as const) {
    Deno.bench(
      // The cpu backend takes up to 20 s an iteration: two runs suffice.
      {
        name: `${group}: tfjs ${backend}`,
        group,
        ...RUNS,
        ...(backend === "cpu" ? { n: 2 } : {}),
      },
      async (b) => {
        await tf.setBackend(backend);
        b.start();
        tfjsRun(model, x, shape, dtype);
        b.end();
      },
    );
  }
}

const ids = Float32Array.from(
  seeded(SENTENCES * LENGTH, 7, 1, VOCAB),
  Math.floor,
);
await benchGroup(
  `cnn ${IMAGES} images`,
  cnn(),
  seeded(IMAGES * 32 * 32 * 3, 3, 0, 1),
  [IMAGES, 32, 32, 3],
  "float32",
);
await benchGroup(
  `bilstm64 ${SENTENCES} sentences`,
  textModel("lstm"),
  ids,
  [SENTENCES, LENGTH],
  "int32",
);
await benchGroup(
  `birnn48 ${SENTENCES} sentences`,
  textModel("rnn"),
  ids,
  [SENTENCES, LENGTH],
  "int32",
);
