import assert from "node:assert/strict";
import { studyVerdict } from "../../src/report/report.ts";
import { seedGroups } from "../../src/report/seeds.ts";
import type { RunMetrics, VariationResult } from "../../src/report/tables.ts";
import { parseExperiment } from "../../src/sweep/experiment.ts";
import { runId } from "../../src/sweep/run_id.ts";

const exp = parseExperiment(
  `family: rnn
variations:
  - { label: a, set: { model.units: [24] } }
  - { label: b, set: { model.units: [48] } }
  - { label: "b, seed 1", set: { model.units: [48], seed: 1 } }
`,
  "v.yaml",
);

function metrics(f1: number, n: number): RunMetrics {
  return {
    test: {
      loss: 1,
      accuracy: f1,
      macroF1: f1,
      perClass: [{ class: "x", precision: 1, recall: 1, f1, support: n }],
      confusion: [],
    },
    epochsRun: 1,
    bestEpoch: 1,
    stoppedEarly: false,
    trainSeconds: 1,
  };
}

function results(f1: number[], n = 400): VariationResult[] {
  return exp.runs.map((r, i) => ({
    label: r.label,
    id: runId(r.config),
    varied: r.varied,
    metrics: metrics(f1[i]!, n),
    history: [],
  }));
}

Deno.test("studyVerdict: seeds of one configuration are scored by their mean", () => {
  const res = results([0.70, 0.60, 0.66]);
  const groups = seedGroups(
    exp.runs.map((r, i) => ({
      id: res[i]!.id,
      config: r.config,
      macroF1: res[i]!.metrics!.test.macroF1,
      name: r.label,
    })),
  );
  // b's two seeds average 0.63 and span 6 points; a leads by 7 points,
  // more than that spread.
  assert.equal(
    studyVerdict({ exp, results: res }, groups),
    "- v (test macro-F1): a leads b (mean of 2 seeds) by 7.0 points of " +
      "macro-F1, more than seeds alone moved any SimpleRNN configuration.",
  );
});

Deno.test("studyVerdict: without seed repeats, three test-set standard errors decide", () => {
  const only = { ...exp, runs: exp.runs.slice(0, 2) };
  const res = results([0.70, 0.60]).slice(0, 2);
  // sqrt(0.7 * 0.3 / 400) = 2.3 points: 10 points is more than three.
  assert.match(
    studyVerdict({ exp: only, results: res }, [])!,
    /a leads b by 10\.0 points of macro-F1, from one run each: more than three times the test set's standard error \(about 2\.3 points\), so likely real/,
  );
  const close = results([0.66, 0.60]).slice(0, 2);
  assert.match(
    studyVerdict({ exp: only, results: close }, [])!,
    /a leads b by 6\.0 points.*within three test-set standard errors \(about 2\.4 points each\): not established\./,
  );
  // 0.995 points rounds to 1.0 and is called a lead, consistently.
  const edge = results([0.70995, 0.7]).slice(0, 2);
  assert.match(
    studyVerdict({ exp: only, results: edge }, [])!,
    /leads b by 1\.0/,
  );
});
