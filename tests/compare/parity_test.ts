import assert from "node:assert/strict";
import { join } from "node:path";
import {
  compareOnSet,
  evalSetFor,
  recordParity,
} from "../../src/compare/parity.ts";
import { loadNusax } from "../../src/data/nusax.ts";
import { TextVectorizer } from "../../src/text/vectorize.ts";
import { argmaxRows } from "../../src/train/metrics.ts";
import { assertClose } from "../_util/assert.ts";
import { saveTinyCnn, saveTinyLstm, seeded } from "./_models.ts";

// CI sets REQUIRE_DATA: there a missing data set fails instead of skipping.
const REQUIRE_DATA = Boolean(Deno.env.get("REQUIRE_DATA"));
const hasCifar = await Deno.stat("data/cifar10/cache/meta.json").then(
  () => true,
  () => false,
);
const hasNusax = await Deno.stat("data/nusax-senti/indonesian/test.csv").then(
  () => true,
  () => false,
);

/** 20 random images `[20, 8, 8, 3]` in [0, 1) and labels 0..4. */
function images(n = 20, size = 8) {
  const x = seeded(n * size * size * 3, 11, 0, 1);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 5);
  return { input: { x, shape: [n, size, size, 3] }, labels };
}

/** Copies a saved model, adding `delta` to float number `index`. */
async function corruptCopy(
  from: string,
  to: string,
  index: number,
  delta: number,
): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  await Deno.copyFile(join(from, "model.json"), join(to, "model.json"));
  const bytes = await Deno.readFile(join(from, "weights.bin"));
  const floats = new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
  floats[index] = floats[index]! + delta;
  await Deno.writeFile(join(to, "weights.bin"), bytes);
}

Deno.test("compareOnSet: tiny CNN x=[20,8,8,3] conv3x3x4-pool-dense5 agrees exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveTinyCnn(dir);
    const { input, labels } = images();
    const r = await compareOnSet(dir, input, labels, { batchSize: 6 });
    assert.equal(r.examples, 20);
    assert.equal(r.classes, 5);
    assert.equal(r.agreement, 1);
    assert.ok(r.maxAbsDiff <= 1e-5, `max diff ${r.maxAbsDiff}`);
    assert.ok(r.meanAbsDiff <= r.maxAbsDiff);
    assert.equal(r.ok, true);
    assert.equal(r.divergence, undefined);
    assert.equal(r.engine.accuracy, r.tfjs.accuracy);
    assert.equal(r.engine.macroF1, r.tfjs.macroF1);
    assert.ok(r.engine.seconds > 0 && r.tfjs.seconds > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareOnSet: accuracy is the share of argmax equal to the label", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveTinyCnn(dir);
    const { input } = images();
    // Labels set to the model's own predictions on the first 15 examples
    // and shifted by one class on the last 5: accuracy 15 / 20 = 0.75.
    const first = await compareOnSet(dir, input, new Int32Array(20));
    const { predictWithLayers } = await import("../../src/engine/mod.ts");
    const { loadModel } = await import("../../src/engine/mod.ts");
    const model = await loadModel(dir);
    const outs = predictWithLayers(model, {
      shape: input.shape,
      data: input.x,
    });
    const predicted = argmaxRows(outs[outs.length - 1]!.output.data, 5);
    const labels = predicted.map((p, i) => (i < 15 ? p : (p + 1) % 5));
    const r = await compareOnSet(dir, input, labels);
    assert.equal(r.engine.accuracy, 0.75);
    assert.equal(r.tfjs.accuracy, 0.75);
    assert.equal(first.classes, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareOnSet: engine on a copy with one Dense bias changed diverges at the dense layer, not before", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const names = await saveTinyCnn(join(dir, "good"));
    // Weights in order: conv kernel 3*3*3*4 = 108, conv bias 4, dense
    // kernel [36, 5] = 180, dense bias 5: float 292 is the first bias,
    // which (unlike a kernel entry facing a ReLU zero) moves every example.
    await corruptCopy(join(dir, "good"), join(dir, "bad"), 292, 3);
    const { input, labels } = images();
    const r = await compareOnSet(join(dir, "bad"), input, labels, {
      tfjsModelDir: join(dir, "good"),
    });
    assert.equal(r.ok, false);
    assert.ok(r.maxAbsDiff > 1e-3, `max diff ${r.maxAbsDiff}`);
    const d = r.divergence!;
    assert.deepEqual(d.layers.map((l) => l.layer), names);
    assert.equal(d.firstDiverging?.layer, names[3]);
    assert.equal(d.firstDiverging?.className, "Dense");
    for (const l of d.layers.slice(0, 3)) {
      assert.ok(l.maxAbsDiff <= 1e-6, `${l.layer}: ${l.maxAbsDiff}`);
    }
    assert.equal(d.examples.length, 8);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareOnSet: engine on a copy with one Conv2D kernel weight changed diverges at the first layer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const names = await saveTinyCnn(join(dir, "good"));
    await corruptCopy(join(dir, "good"), join(dir, "bad"), 0, 2);
    const { input, labels } = images();
    const r = await compareOnSet(join(dir, "bad"), input, labels, {
      worstExamples: 3,
      tfjsModelDir: join(dir, "good"),
    });
    assert.equal(r.ok, false);
    assert.equal(r.divergence?.firstDiverging?.layer, names[0]);
    assert.equal(r.divergence?.firstDiverging?.className, "Conv2D");
    assert.equal(r.divergence?.examples.length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareOnSet: tiny LSTM over ids x=[12,7] vocab 30 agrees (int32 path)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveTinyLstm(dir, 30, 7);
    const x = Float32Array.from(seeded(12 * 7, 9, 0, 30), Math.floor);
    const r = await compareOnSet(
      dir,
      { x, shape: [12, 7] },
      new Int32Array(12),
    );
    assert.equal(r.ok, true, `max diff ${r.maxAbsDiff}`);
    assert.equal(r.classes, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareOnSet: label count differing from examples throws", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveTinyCnn(dir);
    const { input } = images();
    await assert.rejects(
      () => compareOnSet(dir, input, new Int32Array(3)),
      /3 labels for 20 examples/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evalSetFor: a folder without model.json names both places", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => evalSetFor(dir), /no model\.json here or in/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "recordParity: run folder with a [32,32,3] CNN gets CIFAR-10 test " +
    "and a parity field merged into metrics.json",
  ignore: !hasCifar && !REQUIRE_DATA,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await saveTinyCnn(join(dir, "model"), 32, 10);
      await Deno.writeTextFile(
        join(dir, "config.json"),
        JSON.stringify({ id: "cnn-x", config: { family: "cnn" } }),
      );
      await Deno.writeTextFile(
        join(dir, "metrics.json"),
        JSON.stringify({ test: { accuracy: 0.5 }, epochsRun: 2 }),
      );
      const set = await evalSetFor(dir, { limit: 16 });
      assert.equal(set.dataset, "cifar10");
      assert.deepEqual(set.shape, [16, 32, 32, 3]);
      assert.equal(set.labels.length, 16);
      assert.ok(set.x.every((v) => v >= 0 && v <= 1));

      const r = await recordParity(dir, { limit: 16 });
      assert.equal(r.ok, true);
      const metrics = JSON.parse(
        await Deno.readTextFile(join(dir, "metrics.json")),
      );
      assert.deepEqual(metrics.test, { accuracy: 0.5 });
      assert.equal(metrics.epochsRun, 2);
      assert.equal(metrics.parity.agreement, 1);
      assert.equal(metrics.parity.examples, 16);
      assert.ok(metrics.parity.maxAbsDiff <= 1e-5);
      assert.deepEqual(Object.keys(metrics.parity).sort(), [
        "agreement",
        "engineMacroF1",
        "engineSeconds",
        "examples",
        "maxAbsDiff",
        "meanAbsDiff",
        "tfjsMacroF1",
        "tfjsSeconds",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("recordParity: a run without metrics.json is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => recordParity(dir), /is the run finished/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "evalSetFor: text model [null,12] + vocabulary.json gets NusaX test " +
    "encoded with the saved vocabulary; a contradicting language throws",
  ignore: !hasNusax && !REQUIRE_DATA,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const d = await loadNusax({ dataDir: "data", limit: { train: 50 } });
      const vectorizer = TextVectorizer.adapt(d.train.texts, {
        maxTokens: 60,
        outputSequenceLength: 12,
      });
      const modelDir = join(dir, "model");
      await saveTinyLstm(modelDir, vectorizer.vocabulary.length, 12);
      await Deno.writeTextFile(
        join(modelDir, "vocabulary.json"),
        JSON.stringify(vectorizer.toJSON()),
      );
      await Deno.writeTextFile(
        join(dir, "config.json"),
        JSON.stringify({
          id: "lstm-x",
          config: { family: "lstm", data: { language: "indonesian" } },
        }),
      );
      // The model folder alone finds config.json in its parent.
      const set = await evalSetFor(modelDir, { limit: 10 });
      assert.equal(set.dataset, "nusax");
      assert.equal(set.language, "indonesian");
      assert.deepEqual(set.shape, [10, 12]);
      const expected = vectorizer.encodeBatch(d.test.texts.slice(0, 10));
      assertClose(set.x, Float32Array.from(expected), 0);
      assert.deepEqual([...set.labels], [...d.test.y.slice(0, 10)]);

      await assert.rejects(
        () => evalSetFor(dir, { language: "javanese" }),
        /says language "indonesian", but "javanese"/,
      );
      const r = await compareOnSet(set.modelDir, set, set.labels);
      assert.equal(r.ok, true);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
