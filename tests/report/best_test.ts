import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Candidate,
  candidates,
  pickBest,
  pooledSeedSd,
  promoteBest,
} from "../../src/report/best.ts";
import { historyCsv } from "../../src/sweep/history.ts";

/** Writes a finished run folder with the given validation curve. */
async function fakeRun(
  root: string,
  id: string,
  opts: { val: number[]; bestEpoch: number; f1: number; limit?: boolean },
) {
  const dir = join(root, "runs", id);
  await Deno.mkdir(join(dir, "model"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({
      id,
      config: {
        family: id.split("-")[0],
        data: opts.limit ? { limit: { train: 10 } } : {},
        training: { earlyStopping: { patience: 3, minDelta: 0 } },
      },
    }),
  );
  const history = opts.val.map((v, i) => ({
    epoch: i + 1,
    loss: 1,
    val_loss: 1 - v,
    accuracy: 0.5,
    val_accuracy: v,
    lr: 0.001,
    seconds: 1,
  }));
  await Deno.writeTextFile(join(dir, "history.csv"), historyCsv(history));
  await Deno.writeTextFile(
    join(dir, "metrics.json"),
    JSON.stringify({
      test: { macroF1: opts.f1 },
      bestEpoch: opts.bestEpoch,
      epochsRun: opts.val.length,
    }),
  );
  await Deno.writeTextFile(join(dir, "model", "model.json"), `{"id":"${id}"}`);
  await Deno.writeFile(join(dir, "model", "weights.bin"), new Uint8Array([1]));
}

Deno.test("the best run is chosen on validation accuracy at its kept epoch, never on test", async () => {
  const root = await Deno.makeTempDir();
  // a: kept epoch 2 has val acc 0.70 (its last epoch, 0.80, was not kept).
  await fakeRun(root, "lstm-a", {
    val: [0.6, 0.7, 0.8],
    bestEpoch: 2,
    f1: 0.9,
  });
  // b: kept epoch 1 has 0.75; its test F1 is lower, but that does not count.
  await fakeRun(root, "lstm-b", { val: [0.75, 0.5], bestEpoch: 1, f1: 0.6 });
  // c: a smoke-sized run with a perfect validation slice is not a candidate.
  await fakeRun(root, "lstm-c", { val: [1], bestEpoch: 1, f1: 1, limit: true });
  await fakeRun(root, "cnn-d", { val: [0.5], bestEpoch: 1, f1: 0.5 });

  const all = await candidates(root);
  assert.deepEqual(all.map((c) => c.id), ["cnn-d", "lstm-a", "lstm-b"]);
  assert.equal(pickBest(all, "lstm")?.id, "lstm-b");
  assert.equal(pickBest(all, "rnn"), undefined);

  const chosen = await promoteBest(root);
  assert.deepEqual(chosen, { cnn: "cnn-d", lstm: "lstm-b" });
  const copied = await Deno.readTextFile(
    join(root, "best", "lstm", "model", "model.json"),
  );
  assert.equal(copied, '{"id":"lstm-b"}');

  // A compare record of the same model survives promoting again; one of a
  // model that is no longer the best does not.
  await Deno.writeTextFile(join(root, "best", "lstm", "compare.md"), "ok");
  await Deno.writeTextFile(join(root, "best", "cnn", "compare.md"), "old");
  await promoteBest(root);
  assert.equal(
    await Deno.readTextFile(join(root, "best", "lstm", "compare.md")),
    "ok",
  );
  await fakeRun(root, "cnn-e", { val: [0.9], bestEpoch: 1, f1: 0.5 });
  await promoteBest(root);
  await assert.rejects(() =>
    Deno.readTextFile(join(root, "best", "cnn", "compare.md"))
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("configurations compete on mean validation accuracy less one standard error; then the best seed", () => {
  const c = (
    id: string,
    configKey: string,
    valAccuracy: number,
    valLoss = 0.5,
  ): Candidate => ({
    id,
    family: "lstm",
    configKey,
    valAccuracy,
    valLoss,
    testMacroF1: 0,
    hasWeights: true,
  });
  const seeded = [
    // A: mean 0.78 over three seeds (deviations 0.02, 0.02, -0.04).
    c("lstm-a1", "A", 0.8, 0.6),
    c("lstm-a2", "A", 0.8, 0.5),
    c("lstm-a3", "A", 0.74),
    // B: mean 0.77 (deviations 0.08, -0.04, -0.04), despite its 0.85.
    c("lstm-b1", "B", 0.85),
    c("lstm-b2", "B", 0.73),
    c("lstm-b3", "B", 0.73),
  ];
  // Pooled: (0.0024 + 0.0096) / (2 + 2) = 0.003, s = 0.0548.
  const groups = [seeded.slice(0, 3), seeded.slice(3)];
  assert.ok(Math.abs(pooledSeedSd(groups) - Math.sqrt(0.003)) < 1e-12);
  // Scores: A 0.78 - 0.0548 / sqrt(3) = 0.748, B 0.738, a single run of
  // 0.80 scores 0.80 - 0.0548 = 0.745: A wins, and within A, a1 and a2 tie
  // on accuracy and a2 has the lower validation loss.
  assert.equal(
    pickBest([c("lstm-single", "X", 0.8), ...seeded], "lstm")?.id,
    "lstm-a2",
  );
  // A single run far enough ahead still wins: 0.9 - 0.0548 = 0.845.
  assert.equal(
    pickBest([c("lstm-lucky", "X", 0.9), ...seeded], "lstm")?.id,
    "lstm-lucky",
  );
  // With no repeated configuration the best single run wins.
  assert.equal(
    pickBest([c("lstm-p", "P", 0.7), c("lstm-q", "Q", 0.71)], "lstm")?.id,
    "lstm-q",
  );
});
