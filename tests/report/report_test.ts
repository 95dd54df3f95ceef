import assert from "node:assert/strict";
import {
  conclusions,
  resultsCsv,
  resultsMarkdown,
  type RunMetrics,
  type VariationResult,
} from "../../src/report/tables.ts";
import { lossPlotSvg, niceTicks } from "../../src/report/svg.ts";
import { parseExperiment } from "../../src/sweep/experiment.ts";
import { historyCsv, parseHistoryCsv } from "../../src/sweep/history.ts";

const exp = parseExperiment(
  `family: cnn
description: pooling
variations:
  - { label: max, set: { model.pooling: max } }
  - { label: average, set: { model.pooling: average } }
  - { label: gap, set: { model.head: global_average } }`,
  "p.yaml",
);

function metrics(f1: number, best: number, epochs: number): RunMetrics {
  return {
    test: {
      loss: 1,
      accuracy: f1 + 0.01,
      macroF1: f1,
      perClass: [],
      confusion: [],
    },
    epochsRun: epochs,
    bestEpoch: best,
    stoppedEarly: best < epochs,
    trainSeconds: 100 * epochs,
  };
}

function history(train: number[], val: number[]) {
  return train.map((loss, i) => ({
    epoch: i + 1,
    loss,
    val_loss: val[i]!,
    accuracy: 0.5,
    val_accuracy: 0.5,
    lr: 0.001,
    seconds: 1,
  }));
}

const results: VariationResult[] = [
  {
    label: "max",
    id: "cnn-a",
    varied: { "model.pooling": "max" },
    metrics: metrics(0.7012, 2, 4),
    history: history([1.5, 1.0, 0.7, 0.5], [1.4, 1.1, 1.2, 1.3]),
  },
  {
    label: "average",
    id: "cnn-b",
    varied: { "model.pooling": "average" },
    metrics: metrics(0.6512, 3, 3),
    history: history([1.6, 1.2, 1.0], [1.5, 1.3, 1.2]),
  },
  {
    label: "gap",
    id: "cnn-c",
    varied: { "model.head": "global_average" },
    history: [],
  },
];

Deno.test("results table: varied columns, fixed precision, pending rows", () => {
  const csv = resultsCsv(results).split("\n");
  assert.equal(
    csv[0],
    "variation,model.pooling,model.head,macro_f1,accuracy,test_loss," +
      "best_epoch,epochs_run,min_val_loss,final_train_loss,final_val_loss," +
      "train_seconds,engine_agreement,engine_max_abs_diff",
  );
  assert.equal(
    csv[1],
    "max,max,,0.7012,0.7112,1.0000,2,4,1.1000,0.5000,1.3000,400,,",
  );
  assert.match(csv[3]!, /^gap,,global_average,not finished,,,/);
  const md = resultsMarkdown(results).split("\n");
  assert.equal(md[1], "| " + Array(14).fill("---").join(" | ") + " |");
});

Deno.test("conclusions name the best variation, its margin and overfitting", () => {
  const text = conclusions(exp, results);
  assert.match(text, /1 of 3 variations have not finished/);
  assert.match(
    text,
    /Best on the test set: \*\*max\*\* with macro-F1 0\.7012, 5\.0 points above average/,
  );
  assert.match(
    text,
    /max: validation loss bottomed out at epoch 2 of 4 \(early stopping ended it\); final validation loss exceeds training loss by 0\.800: overfitting/,
  );
  assert.match(
    text,
    /average: validation loss was still falling at the last epoch \(3\).*not yet converged, more epochs may help/,
  );
});

Deno.test("conclusions name each run's weakest class by F1, with its recall", () => {
  const m = metrics(0.6, 2, 4);
  m.test.perClass = [
    { class: "negative", precision: 0.7, recall: 0.8, f1: 0.75, support: 10 },
    { class: "neutral", precision: 0.6, recall: 0.3, f1: 0.4, support: 10 },
    { class: "positive", precision: 0.8, recall: 0.7, f1: 0.7467, support: 10 },
  ];
  const text = conclusions(exp, [{ ...results[0]!, metrics: m }]);
  assert.match(
    text,
    /- max: .*: overfitting\. Weakest class: neutral \(F1 0\.40, recall 0\.30\)\./,
  );
});

Deno.test("reports are byte-identical when regenerated", () => {
  assert.equal(resultsCsv(results), resultsCsv(structuredClone(results)));
  const series = results.map((r) => ({
    label: r.label,
    train: r.history.map((h) => h.loss),
    val: r.history.map((h) => h.val_loss),
  }));
  const svg = lossPlotSvg(series, "t");
  assert.equal(svg, lossPlotSvg(structuredClone(series), "t"));
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  // Two polylines per finished variation (train and validation).
  assert.equal(svg.match(/<polyline/g)!.length, 4);
});

Deno.test("nice ticks step by 1, 2 or 5 times a power of ten", () => {
  // range 1.19 / 5 ticks = 0.238 -> the first of 0.1, 0.2, 0.5 above it is
  // 0.5; multiples of 0.5 inside [0.43, 1.62] are 0.5, 1, 1.5.
  assert.deepEqual(niceTicks(0.43, 1.62), [0.5, 1, 1.5]);
  assert.deepEqual(niceTicks(0, 10), [0, 2, 4, 6, 8, 10]);
});

Deno.test("history CSV round trip", () => {
  const h = history([1.25, 0.5], [1.5, 0.75]);
  assert.deepEqual(parseHistoryCsv(historyCsv(h)), h);
});

Deno.test("a study mixing families does not rank their scores", () => {
  const mixed = parseExperiment(
    `variations:
  - { label: cnn, family: cnn, set: {} }
  - { label: lstm, family: lstm, set: {} }`,
    "m.yaml",
  );
  const text = conclusions(mixed, [
    { ...results[0]!, label: "cnn" },
    { ...results[1]!, label: "lstm" },
  ]);
  assert.match(text, /different families \(cnn, lstm\).*not ranked/);
  assert.doesNotMatch(text, /Best on the test set/);
});

Deno.test("lossPlotSvg: the legend widens the plot for long labels and grows it for many series", () => {
  const width = (svg: string) => Number(/ width="(\d+)"/.exec(svg)![1]);
  const height = (svg: string) => Number(/ height="(\d+)"/.exec(svg)![1]);
  const one = (label: string) => ({ label, train: [1, 0.5], val: [1.1, 0.8] });
  // Short labels keep the 640 x 400 frame.
  assert.equal(width(lossPlotSvg([one("a")], "t")), 640);
  // 40 characters + " train" at 7 px each, after the 60 + 400 plot and 40 of
  // legend lines: 60 + 400 + 12 + 28 + 46 * 7 + 8 = 830.
  const long = "x".repeat(40);
  assert.equal(width(lossPlotSvg([one(long)], "t")), 830);
  // Twelve series need 14 + 12 * 34 = 422 px of legend: taller than 316.
  const many = Array.from({ length: 12 }, (_, i) => one(`s${i}`));
  assert.equal(height(lossPlotSvg(many, "t")), 36 + 422 + 48);
});
