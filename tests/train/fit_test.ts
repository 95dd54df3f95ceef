import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tfjs/backend.ts";
import {
  balancedClassWeights,
  type Checkpoint,
  type EpochRecord,
  fit,
  flipHalf,
  NonFiniteLossError,
  permutation,
} from "../../src/train/fit.ts";
import { imageSplit } from "../../src/train/data.ts";
import { buildCnn } from "../../src/train/models.ts";
import { seedGlobalRandom } from "../../src/train/determinism.ts";
import {
  type CnnModelConfig,
  familyDefaults,
  type TrainingConfig,
} from "../../src/sweep/schema.ts";
import { Random } from "../../src/util/random.ts";

await initBackend("wasm");

/** Learnable toy images: class c has its channel c brighter. */
function toyImages(n: number, seed: number) {
  const rng = new Random(seed);
  const x = new Uint8Array(n * 32 * 32 * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let p = 0; p < 32 * 32; p++) {
      for (let c = 0; c < 3; c++) {
        const base = c === y[i] ? 140 : 60;
        x[(i * 1024 + p) * 3 + c] = base + Math.floor(rng.next() * 100);
      }
    }
  }
  return imageSplit(x, y, [32, 32, 3]);
}

const MODEL: CnnModelConfig = {
  ...(familyDefaults("cnn").model as CnnModelConfig),
  filters: [4],
  kernelSizes: [3],
  dense: [8],
};

const TRAINING: TrainingConfig = {
  ...familyDefaults("cnn").training,
  epochs: 3,
  batchSize: 16,
  earlyStopping: { patience: 2, minDelta: 0 },
};

interface Outcome {
  history: EpochRecord[];
  weights: Float32Array[];
  checkpoints: Checkpoint[];
}

async function train(
  config: TrainingConfig,
  data = { train: toyImages(48, 1), val: toyImages(24, 2) },
  resume?: Checkpoint,
): Promise<Outcome> {
  const { rng, restore } = seedGlobalRandom(7);
  try {
    const model = buildCnn(MODEL, 3);
    const checkpoints: Checkpoint[] = [];
    const { state } = await fit(model, data, config, {
      rng,
      resume,
      onEpoch: (_r, c) => {
        checkpoints.push(c);
        return Promise.resolve();
      },
    });
    const weights = model.getWeights().map((w) =>
      new Float32Array(w.dataSync())
    );
    model.dispose();
    return { history: state.history, weights, checkpoints };
  } finally {
    restore();
  }
}

const strip = (h: EpochRecord[]) => h.map(({ seconds: _, ...rest }) => rest);

Deno.test("the same seed gives the same history and weights", async () => {
  const a = await train(TRAINING);
  const b = await train(TRAINING);
  assert.equal(a.history.length, 3);
  assert.deepEqual(strip(a.history), strip(b.history));
  assert.deepEqual(a.weights, b.weights);
  assert.ok(a.history[2]!.loss < a.history[0]!.loss, "loss should fall");
});

Deno.test("resuming from an epoch-1 checkpoint equals an unbroken run", async () => {
  const unbroken = await train(TRAINING);
  const first = await train({ ...TRAINING, epochs: 1 });
  // The checkpoint is what a killed process left on disk after epoch 1.
  const resumed = await train(TRAINING, undefined, first.checkpoints[0]);
  assert.deepEqual(strip(resumed.history), strip(unbroken.history));
  assert.deepEqual(resumed.weights, unbroken.weights);
});

Deno.test("a NaN loss stops with the epoch and batch, after saving earlier epochs", async () => {
  // Adam moves each weight by about the learning rate per step, whatever the
  // gradient: at 1e30 the weights overflow float32 within a few batches and
  // the softmax turns to NaN.
  const seen: number[] = [];
  const { rng, restore } = seedGlobalRandom(7);
  const model = buildCnn(MODEL, 3);
  const config = { ...TRAINING, learningRate: 1e30, clipNorm: null };
  let failure: unknown;
  try {
    await fit(
      model,
      { train: toyImages(48, 3), val: toyImages(8, 4) },
      config,
      {
        rng,
        onEpoch: (r) => {
          seen.push(r.epoch);
          return Promise.resolve();
        },
      },
    );
  } catch (e) {
    failure = e;
  } finally {
    restore();
    model.dispose();
  }
  assert.ok(failure instanceof NonFiniteLossError, String(failure));
  assert.match(failure.message, /loss became NaN at epoch \d+, batch \d+/);
  // Every epoch before the failing one was reported (and so checkpointed).
  assert.deepEqual(
    seen,
    Array.from({ length: failure.epoch - 1 }, (_, i) => i + 1),
  );
});

Deno.test("no tensors leak across epochs", async () => {
  await train({ ...TRAINING, epochs: 1 });
  const before = tf.memory().numTensors;
  await train({ ...TRAINING, epochs: 2 });
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("balanced class weights are n / (classes * count)", () => {
  // 6 labels: class 0 x3, class 1 x2, class 2 x1.
  const w = balancedClassWeights(Int32Array.from([0, 0, 0, 1, 1, 2]), 3);
  assert.deepEqual([...w].map((v) => v.toFixed(4)), [
    "0.6667",
    "1.0000",
    "2.0000",
  ]);
});

Deno.test("permutation is a seeded shuffle of 0..n-1", () => {
  const p = permutation(10, new Random(3));
  assert.deepEqual([...p].sort((a, b) => a - b), [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
  ]);
  assert.deepEqual(p, permutation(10, new Random(3)));
  assert.notDeepEqual(p, permutation(10, new Random(4)));
});

Deno.test("flipHalf mirrors the images whose draw is below 1/2", () => {
  // Two 1x3 single-channel images; draws 0.2 (flip) then 0.7 (keep).
  const draws = [0.2, 0.7];
  const rng = {
    next: () => draws.shift()!,
    getState: () => null,
    setState: () => {},
  };
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [2, 1, 3, 1]);
  const out = flipHalf(x, rng);
  assert.deepEqual([...out.dataSync()], [3, 2, 1, 4, 5, 6]);
  assert.ok(x.isDisposed);
  out.dispose();
});

Deno.test("early stopping can monitor validation accuracy", async () => {
  const { rng, restore } = seedGlobalRandom(11);
  const model = buildCnn(MODEL, 3);
  try {
    const { state } = await fit(
      model,
      { train: toyImages(48, 5), val: toyImages(24, 6) },
      {
        ...TRAINING,
        epochs: 4,
        earlyStopping: { patience: 4, minDelta: 0, monitor: "val_accuracy" },
      },
      { rng },
    );
    const acc = state.history.map((h) => h.val_accuracy);
    // The first epoch reaching the highest accuracy is the one kept.
    assert.equal(state.bestEpoch, acc.indexOf(Math.max(...acc)) + 1);
    assert.equal(state.bestValLoss, -Math.max(...acc));
  } finally {
    restore();
    model.dispose();
  }
});
