/**
 * End-to-end: `deno task sweep` as a user runs it, on slices of the real
 * data. Needs `deno task setup` (see tests/_util/data.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { NEEDS_DATA } from "../_util/data.ts";

function sweep(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/sweep.ts", ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function run(args: string[]) {
  const out = await sweep(args).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr),
  };
}

/**
 * Starts a sweep and kills it (parent and worker) once the run `id` has
 * checkpointed an epoch, before it finishes.
 */
async function killAfterFirstCheckpoint(
  yaml: string,
  out: string,
  id: string,
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/sweep.ts", yaml, "--outputs", out],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const latest = join(out, "runs", id, "checkpoint", "latest.json");
  for (let i = 0; i < 600; i++) {
    try {
      Deno.statSync(latest);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // The worker is the parent's only child process.
  await new Deno.Command("pkill", { args: ["-KILL", "-P", String(child.pid)] })
    .output();
  child.kill("SIGKILL");
  await child.status;
  assert.equal(
    [...Deno.readDirSync(join(out, "runs", id))].some((e) =>
      e.name === "metrics.json"
    ),
    false,
    "the kill should come before the run finished",
  );
}

const TINY_CNN = `
description: three epochs of a tiny CNN
family: cnn
base:
  data: { limit: { train: 256, val: 64, test: 64 } }
  training: { epochs: 3 }
variations:
  - label: tiny
    set: { model.filters: [4], model.kernelSizes: [3], model.dense: [8] }
`;

Deno.test({
  name: "smoke sweep trains all three families and writes every output",
  ignore: NEEDS_DATA,
  async fn() {
    const out = await Deno.makeTempDir();
    const first = await run(["experiments/smoke.yaml", "--outputs", out]);
    assert.equal(first.code, 0, first.text);
    assert.match(first.text, /summary: 3 trained, 0 reused, 0 failed/);
    const runs = [...Deno.readDirSync(join(out, "runs"))].map((e) => e.name)
      .sort();
    assert.equal(runs.length, 3);
    for (const id of runs) {
      const dir = join(out, "runs", id);
      for (
        const f of [
          "config.json",
          "history.csv",
          "metrics.json",
          "loss.svg",
          "model/model.json",
          "model/weights.bin",
        ]
      ) {
        assert.ok(Deno.statSync(join(dir, f)).isFile, `${id}/${f}`);
      }
      const m = JSON.parse(Deno.readTextFileSync(join(dir, "metrics.json")));
      assert.ok(m.test.macroF1 >= 0 && m.test.macroF1 <= 1, id);
      assert.equal(m.epochsRun, 2);
      // The engine reproduced TensorFlow.js on this run's test slice.
      assert.equal(m.parity.agreement, 1, id);
      assert.ok(m.parity.maxAbsDiff <= 1e-5, `${id}: ${m.parity.maxAbsDiff}`);
      // Parity covers the full test set, not only the slice trained on.
      assert.equal(m.parity.examples, id.startsWith("cnn") ? 10000 : 400);
      const history = Deno.readTextFileSync(join(dir, "history.csv"));
      assert.equal(history.trim().split("\n").length, 3, id);
      if (!id.startsWith("cnn")) {
        assert.ok(Deno.statSync(join(dir, "model/vocabulary.json")).isFile);
      }
      assert.equal(
        [...Deno.readDirSync(dir)].some((e) => e.name === "checkpoint"),
        false,
        "a finished run keeps no checkpoint",
      );
    }
    const exp = join(out, "experiments", "smoke");
    const table = Deno.readTextFileSync(join(exp, "results.md"));
    assert.equal(table.trim().split("\n").length, 5); // header, rule, 3 rows
    const before = ["results.csv", "results.md", "loss.svg", "conclusions.md"]
      .map((f) => Deno.readTextFileSync(join(exp, f)));

    // A second sweep reuses every run and regenerates identical reports.
    const second = await run(["experiments/smoke.yaml", "--outputs", out]);
    assert.equal(second.code, 0, second.text);
    assert.match(second.text, /summary: 0 trained, 3 reused, 0 failed/);
    const after = ["results.csv", "results.md", "loss.svg", "conclusions.md"]
      .map((f) => Deno.readTextFileSync(join(exp, f)));
    assert.deepEqual(after, before);
    await Deno.remove(out, { recursive: true });
  },
});

Deno.test({
  name: "a sweep killed mid-run resumes to byte-identical weights",
  ignore: NEEDS_DATA,
  async fn() {
    const tmp = await Deno.makeTempDir();
    const yaml = join(tmp, "tiny.yaml");
    await Deno.writeTextFile(yaml, TINY_CNN);
    const unbroken = join(tmp, "a");
    const broken = join(tmp, "b");
    const a = await run([yaml, "--outputs", unbroken]);
    assert.equal(a.code, 0, a.text);

    const [id] = [...Deno.readDirSync(join(unbroken, "runs"))].map((e) =>
      e.name
    );
    await killAfterFirstCheckpoint(yaml, broken, id!);
    const resumed = await run([yaml, "--outputs", broken]);
    assert.equal(resumed.code, 0, resumed.text);
    const log = Deno.readTextFileSync(join(broken, "runs", id!, "log.txt"));
    assert.match(log, /resuming after epoch [12]/);
    const w = (root: string) =>
      Deno.readFileSync(join(root, "runs", id!, "model", "weights.bin"));
    assert.deepEqual(w(broken), w(unbroken));
    const losses = (root: string) =>
      Deno.readTextFileSync(join(root, "runs", id!, "history.csv")).split("\n")
        .map((l) => l.split(",").slice(0, 6).join(","));
    assert.deepEqual(losses(broken), losses(unbroken));
    await Deno.remove(tmp, { recursive: true });
  },
});

Deno.test("a bad experiment file stops before training, naming file and field", async () => {
  const tmp = await Deno.makeTempDir();
  const yaml = join(tmp, "bad.yaml");
  await Deno.writeTextFile(
    yaml,
    "family: cnn\nvariations:\n  - set: { training.batchSize: 0 }\n",
  );
  const r = await run([yaml, "--outputs", join(tmp, "out")]);
  assert.equal(r.code, 2);
  assert.match(
    r.text,
    /bad\.yaml: variations\[0\]\.set\["training\.batchSize"\]: expected an integer >= 1, got 0/,
  );
  assert.throws(() => Deno.statSync(join(tmp, "out")));
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("--dry-run lists the expanded runs without training", async () => {
  const r = await run([
    "experiments/cnn-kernels.yaml",
    "--dry-run",
    "--outputs",
    "/nonexistent",
  ]);
  assert.equal(r.code, 0, r.text);
  assert.match(r.text, /cnn-[0-9a-f]{12} \[new\] cnn-kernels: 3-4-5/);
  assert.match(r.text, /"kernelSizes":\[3,4,5\]/);
  assert.match(r.text, /^3 runs$/m);
});

Deno.test({
  name: "a damaged checkpoint restarts the run from epoch 1 and says so",
  ignore: NEEDS_DATA,
  async fn() {
    const tmp = await Deno.makeTempDir();
    const yaml = join(tmp, "tiny.yaml");
    await Deno.writeTextFile(yaml, TINY_CNN);
    const clean = join(tmp, "a");
    const damaged = join(tmp, "b");
    assert.equal((await run([yaml, "--outputs", clean])).code, 0);
    const [id] = [...Deno.readDirSync(join(clean, "runs"))].map((e) => e.name);
    await killAfterFirstCheckpoint(yaml, damaged, id!);
    const ckpt = join(damaged, "runs", id!, "checkpoint");
    const { folder } = JSON.parse(
      Deno.readTextFileSync(join(ckpt, "latest.json")),
    );
    // Cut the saved weights short, as a full disk would.
    const weights = join(ckpt, folder, "weights.bin");
    Deno.writeFileSync(weights, Deno.readFileSync(weights).subarray(0, 100));

    const again = await run([yaml, "--outputs", damaged]);
    assert.equal(again.code, 0, again.text);
    const log = Deno.readTextFileSync(join(damaged, "runs", id!, "log.txt"));
    assert.match(log, /weights\.bin: 100 bytes, expected \d+/);
    assert.match(log, /restarting the run from epoch 1/);
    const w = (root: string) =>
      Deno.readFileSync(join(root, "runs", id!, "model", "weights.bin"));
    assert.deepEqual(w(damaged), w(clean));
    await Deno.remove(tmp, { recursive: true });
  },
});
