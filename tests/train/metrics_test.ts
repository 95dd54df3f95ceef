import assert from "node:assert/strict";
import { argmaxRows, classificationReport } from "../../src/train/metrics.ts";

Deno.test("classification report worked by hand, 3 classes", () => {
  // true:      0 0 0 1 1 2
  // predicted: 0 0 1 1 2 2
  // class 0: tp 2, predicted 2, actual 3 -> P 1, R 2/3, F1 0.8
  // class 1: tp 1, predicted 2, actual 2 -> P 1/2, R 1/2, F1 0.5
  // class 2: tp 1, predicted 2, actual 1 -> P 1/2, R 1, F1 2/3
  // macro-F1 = (0.8 + 0.5 + 0.6667) / 3 = 0.65556; accuracy 4/6.
  const r = classificationReport([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);
  assert.equal(r.accuracy, 4 / 6);
  assert.ok(Math.abs(r.macroF1 - (0.8 + 0.5 + 2 / 3) / 3) < 1e-12);
  assert.deepEqual(r.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
  assert.equal(r.perClass[0]!.recall, 2 / 3);
  assert.equal(r.perClass[2]!.support, 1);
});

Deno.test("a class never predicted scores 0, not NaN", () => {
  const r = classificationReport([0, 1, 2], [0, 0, 0], 3);
  assert.equal(r.perClass[1]!.precision, 0);
  assert.equal(r.perClass[1]!.f1, 0);
  // class 0: P 1/3, R 1, F1 0.5 -> macro 0.5 / 3
  assert.ok(Math.abs(r.macroF1 - 0.5 / 3) < 1e-12);
});

Deno.test("argmax per row takes the first of equal maxima", () => {
  const p = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.5, 0, 0, 0, 1]);
  assert.deepEqual([...argmaxRows(p, 3)], [1, 0, 2]);
});

Deno.test("mismatched lengths throw", () => {
  assert.throws(() => classificationReport([0, 1], [0], 2), /2 labels but 1/);
});
