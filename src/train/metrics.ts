/**
 * Classification metrics computed from labels and predicted classes.
 *
 * @module
 */

export interface ClassReport {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  /** Unweighted mean of the per-class F1 scores. */
  macroF1: number;
  perClass: ClassReport[];
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
}

/**
 * Index of the largest value in each row of `probs` (`[n, classes]`); ties go
 * to the lower index, as `argmax` does in TensorFlow.js.
 */
export function argmaxRows(probs: Float32Array, classes: number): Int32Array {
  const n = probs.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = probs[i * classes]!;
    for (let c = 1; c < classes; c++) {
      const v = probs[i * classes + c]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix.
 * A class never predicted has precision 0, and never present has recall 0
 * (scikit-learn's `zero_division=0`).
 */
export function classificationReport(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): ClassificationReport {
  if (labels.length !== predicted.length) {
    throw new RangeError(
      `${labels.length} labels but ${predicted.length} predictions`,
    );
  }
  const confusion = Array.from(
    { length: classes },
    () => new Array<number>(classes).fill(0),
  );
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const p = predicted[i]!;
    confusion[t]![p]!++;
    if (t === p) correct++;
  }
  const perClass: ClassReport[] = [];
  for (let c = 0; c < classes; c++) {
    const tp = confusion[c]![c]!;
    let predictedC = 0;
    let actualC = 0;
    for (let k = 0; k < classes; k++) {
      predictedC += confusion[k]![c]!;
      actualC += confusion[c]![k]!;
    }
    const precision = predictedC ? tp / predictedC : 0;
    const recall = actualC ? tp / actualC : 0;
    const f1 = precision + recall
      ? (2 * precision * recall) / (precision + recall)
      : 0;
    perClass.push({ precision, recall, f1, support: actualC });
  }
  const macroF1 = perClass.reduce((s, r) => s + r.f1, 0) / classes;
  return {
    accuracy: labels.length ? correct / labels.length : 0,
    macroF1,
    perClass,
    confusion,
  };
}
