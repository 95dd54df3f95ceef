import assert from "node:assert/strict";
import { join } from "node:path";
import type { ParityReport } from "../../src/compare/parity.ts";
import {
  formatMarkdown,
  formatTable,
  type Outcome,
} from "../../tasks/compare.ts";
import { saveTinyCnn } from "./_models.ts";

// CI sets REQUIRE_DATA: there a missing data set fails instead of skipping.
const REQUIRE_DATA = Boolean(Deno.env.get("REQUIRE_DATA"));
const hasCifar = await Deno.stat("data/cifar10/cache/meta.json").then(
  () => true,
  () => false,
);

async function runCompare(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/compare.ts", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const diverging: ParityReport = {
  modelDir: "m/model",
  backend: "wasm",
  examples: 4,
  classes: 3,
  engine: { accuracy: 0.5, macroF1: 0.4, seconds: 0.25 },
  tfjs: { accuracy: 0.75, macroF1: 0.6, seconds: 0.5 },
  agreement: 0.75,
  maxAbsDiff: 0.125,
  meanAbsDiff: 0.03125,
  tolerance: 1e-5,
  ok: false,
  divergence: {
    examples: [2, 0],
    layers: [
      { layer: "conv", className: "Conv2D", maxAbsDiff: 0, scale: 2 },
      { layer: "dense", className: "Dense", maxAbsDiff: 0.5, scale: 3 },
    ],
    firstDiverging: {
      layer: "dense",
      className: "Dense",
      maxAbsDiff: 0.5,
      scale: 3,
    },
  },
};

Deno.test("formatTable: a diverging report names the first diverging layer and its diff", () => {
  const text = formatTable({
    target: { label: "m", dir: "m" },
    dataset: "cifar10",
    report: diverging,
  });
  assert.match(text, /agreement 75\.00%, max \|diff\| 1\.25e-1, .*DIVERGES/);
  assert.match(
    text,
    /first diverging layer: dense \(Dense\), max \|diff\| 5\.00e-1/,
  );
  assert.match(text, /accuracy\s+0\.5000\s+0\.7500/);
});

Deno.test("formatMarkdown: one row per outcome in a fixed column order, errors included", () => {
  const outcomes: Outcome[] = [
    { target: { label: "m", dir: "m" }, dataset: "cifar10", report: diverging },
    { target: { label: "x", dir: "x" }, error: "no model.json" },
  ];
  const lines = formatMarkdown(outcomes).split("\n");
  assert.equal(
    lines[4],
    "| m | cifar10 | 4 | 75.00% | 1.25e-1 | 3.13e-2 | 0.5000 | 0.7500 | " +
      "0.4000 | 0.6000 | 0.25 | 0.50 | DIVERGES |",
  );
  assert.equal(lines[5], "| x | | | | | | | | | | | | error: no model.json |");
  assert.ok(
    lines.includes(
      "first diverging layer: dense (Dense), max |diff| 5.00e-1 at scale 3.00e+0",
    ),
  );
});

Deno.test("compare: no PATH and no <outputs>/best models exits 2 saying so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCompare(["--outputs", dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nothing to compare: no model folders under .*best/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "compare: a [32,32,3] model in <outputs>/best/cnn agrees (--limit 8), writes compare.json and compare.md; a folder without a model exits 1",
  ignore: !hasCifar && !REQUIRE_DATA,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const best = join(dir, "best", "cnn");
      await saveTinyCnn(best, 32, 10);
      const r = await runCompare(["--outputs", dir, "--limit", "8"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /agreement 100\.00%.*OK/);
      const json = JSON.parse(
        await Deno.readTextFile(join(best, "compare.json")),
      );
      assert.equal(json.dataset, "cifar10");
      assert.equal(json.report.ok, true);
      assert.equal(json.report.examples, 8);
      const md = await Deno.readTextFile(join(best, "compare.md"));
      assert.match(md, /\| cifar10 \| 8 \| 100\.00% \|/);

      const empty = join(dir, "empty");
      await Deno.mkdir(empty);
      const bad = await runCompare([empty]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /empty: no model\.json here or in/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
