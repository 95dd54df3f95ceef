/**
 * A run's per-epoch history as CSV (`history.csv`), fixed columns and
 * precision so that files diff cleanly.
 *
 * @module
 */
import type { EpochRecord } from "../train/fit.ts";

/** Columns of `history.csv`, in order. */
export const HISTORY_COLUMNS = [
  "epoch",
  "loss",
  "val_loss",
  "accuracy",
  "val_accuracy",
  "lr",
  "seconds",
] as const;

/** Writes a history as CSV with fixed precision. */
export function historyCsv(history: readonly EpochRecord[]): string {
  const rows = history.map((h) =>
    [
      h.epoch,
      h.loss.toFixed(6),
      h.val_loss.toFixed(6),
      h.accuracy.toFixed(6),
      h.val_accuracy.toFixed(6),
      h.lr.toPrecision(6),
      h.seconds.toFixed(2),
    ].join(",")
  );
  return [HISTORY_COLUMNS.join(","), ...rows].join("\n") + "\n";
}

/** Parses `history.csv` back into records. */
export function parseHistoryCsv(
  text: string,
  file = "history.csv",
): EpochRecord[] {
  const [header, ...lines] = text.trim().split("\n");
  if (header !== HISTORY_COLUMNS.join(",")) {
    throw new Error(`${file}: unexpected header "${header}"`);
  }
  return lines.map((line) => {
    const v = line.split(",").map(Number);
    return {
      epoch: v[0]!,
      loss: v[1]!,
      val_loss: v[2]!,
      accuracy: v[3]!,
      val_accuracy: v[4]!,
      lr: v[5]!,
      seconds: v[6]!,
    };
  });
}
