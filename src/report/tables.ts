/**
 * Per-experiment results: a CSV and a Markdown table (one row per variation,
 * only the varied parameters plus metrics, fixed order and precision), an SVG
 * overlay of every variation's loss curves, and conclusions computed from
 * the numbers. The same runs always give byte-identical files.
 *
 * @module
 */
import { join } from "node:path";
import type { Experiment } from "../sweep/experiment.ts";
import { configKey, runId } from "../sweep/run_id.ts";
import { parseHistoryCsv } from "../sweep/history.ts";
import type { EpochRecord } from "../train/fit.ts";
import { lossPlotSvg } from "./svg.ts";
import { readJsonIfExists, writeFileAtomic } from "../util/atomic.ts";

/** What `metrics.json` holds (the fields the reports read). */
export interface RunMetrics {
  test: {
    loss: number;
    accuracy: number;
    macroF1: number;
    perClass: {
      class: string;
      precision: number;
      recall: number;
      f1: number;
      support: number;
    }[];
    confusion: number[][];
  };
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  trainSeconds: number;
  parity?: {
    agreement: number;
    maxAbsDiff: number;
    meanAbsDiff: number;
    engineMacroF1: number;
    tfjsMacroF1: number;
    engineSeconds: number;
    tfjsSeconds: number;
  };
}

/** One variation of an experiment with its results, if it has finished. */
export interface VariationResult {
  label: string;
  id: string;
  varied: Record<string, unknown>;
  metrics?: RunMetrics;
  history: EpochRecord[];
  error?: string;
}

/** Reads the results of every variation of `exp` from `outputs/runs`. */
export async function collectResults(
  exp: Experiment,
  outputs: string,
): Promise<VariationResult[]> {
  const out: VariationResult[] = [];
  for (const run of exp.runs) {
    const id = runId(run.config);
    const dir = join(outputs, "runs", id);
    const metrics = await readJsonIfExists<RunMetrics>(
      join(dir, "metrics.json"),
    );
    const error = await readJsonIfExists<{ message: string }>(
      join(dir, "error.json"),
    );
    // An unfinished run's history is still growing: it is left out, so that
    // tables and plots change only when a run finishes.
    let history: EpochRecord[] = [];
    if (metrics) {
      try {
        const file = join(dir, "history.csv");
        history = parseHistoryCsv(await Deno.readTextFile(file), file);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    out.push({
      label: run.label,
      id,
      varied: run.varied,
      metrics,
      history,
      error: error?.message,
    });
  }
  return out;
}

function formatValue(v: unknown): string {
  if (v === undefined) return "";
  if (Array.isArray(v)) return v.map(formatValue).join("-");
  if (v === null) return "none";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Columns of the results tables after the varied parameters. */
const METRIC_COLUMNS = [
  "macro_f1",
  "accuracy",
  "test_loss",
  "best_epoch",
  "epochs_run",
  "min_val_loss",
  "final_train_loss",
  "final_val_loss",
  "train_seconds",
  "engine_agreement",
  "engine_max_abs_diff",
] as const;

function metricCells(r: VariationResult): string[] {
  const m = r.metrics;
  if (!m) {
    return METRIC_COLUMNS.map((_, i) =>
      i > 0 ? "" : r.error ? "failed" : "not finished"
    );
  }
  const h = r.history;
  const last = h[h.length - 1];
  const minVal = h.length ? Math.min(...h.map((x) => x.val_loss)) : NaN;
  return [
    m.test.macroF1.toFixed(4),
    m.test.accuracy.toFixed(4),
    m.test.loss.toFixed(4),
    String(m.bestEpoch),
    String(m.epochsRun),
    minVal.toFixed(4),
    last ? last.loss.toFixed(4) : "",
    last ? last.val_loss.toFixed(4) : "",
    m.trainSeconds.toFixed(0),
    m.parity ? `${(m.parity.agreement * 100).toFixed(2)}%` : "",
    m.parity ? m.parity.maxAbsDiff.toExponential(2) : "",
  ];
}

/** The varied parameter paths, in first-seen order. */
export function variedKeys(results: readonly VariationResult[]): string[] {
  const keys: string[] = [];
  for (const r of results) {
    for (const k of Object.keys(r.varied)) if (!keys.includes(k)) keys.push(k);
  }
  return keys;
}

function rows(results: readonly VariationResult[]): string[][] {
  const keys = variedKeys(results);
  return results.map((r) => [
    r.label,
    ...keys.map((k) => formatValue(r.varied[k])),
    ...metricCells(r),
  ]);
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV results table. */
export function resultsCsv(results: readonly VariationResult[]): string {
  const header = ["variation", ...variedKeys(results), ...METRIC_COLUMNS];
  return [header, ...rows(results)].map((r) => r.map(csvCell).join(","))
    .join("\n") + "\n";
}

/** The Markdown results table. */
export function resultsMarkdown(results: readonly VariationResult[]): string {
  const header = ["variation", ...variedKeys(results), ...METRIC_COLUMNS];
  const line = (cells: string[]) =>
    `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [
    line(header),
    line(header.map(() => "---")),
    ...rows(results).map(line),
  ].join("\n") + "\n";
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}`;
}

/**
 * Folds variations that differ only in their seed into one entry scored by
 * their mean test macro-F1, so that a study of seeds ranks configurations,
 * not lucky seeds. Other variations pass through unchanged.
 */
function foldSeeds(
  exp: Experiment,
  done: readonly VariationResult[],
): VariationResult[] {
  const groups = new Map<string, VariationResult[]>();
  for (const r of done) {
    // Labels are unique within an experiment file.
    const run = exp.runs.find((p) => p.label === r.label)!;
    const key = configKey(run.config);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    if (g.length === 1) return g[0]!;
    const mean = g.reduce((s, r) => s + r.metrics!.test.macroF1, 0) /
      g.length;
    const base = g[0]!.label.replace(/,? seed \d+$/, "");
    return {
      ...g[0]!,
      label: `${base} (mean of ${g.length} seeds)`,
      metrics: {
        ...g[0]!.metrics!,
        test: { ...g[0]!.metrics!.test, macroF1: mean },
      },
    };
  });
}

function ranking(
  exp: Experiment,
  finished: readonly VariationResult[],
): string[] {
  const lines: string[] = [];
  const done = foldSeeds(exp, finished);
  if (done.length === 1 && finished.length > 1) {
    return [
      `- Its runs differ only in their seed: mean test macro-F1 ` +
      `${done[0]!.metrics!.test.macroF1.toFixed(4)} over ${finished.length}.`,
    ];
  }
  const ranked = [...done].sort((a, b) =>
    b.metrics!.test.macroF1 - a.metrics!.test.macroF1 ||
    a.label.localeCompare(b.label)
  );
  const best = ranked[0]!;
  const worst = ranked[ranked.length - 1]!;
  const f1 = (r: VariationResult) => r.metrics!.test.macroF1;
  if (ranked.length > 1) {
    const second = ranked[1]!;
    lines.push(
      `- Best on the test set: **${best.label}** with macro-F1 ` +
        `${f1(best).toFixed(4)}, ${pct(f1(best) - f1(second))} points above ` +
        `${second.label} (${f1(second).toFixed(4)})` +
        (ranked.length > 2
          ? ` and ${pct(f1(best) - f1(worst))} above the weakest, ` +
            `${worst.label} (${f1(worst).toFixed(4)}).`
          : "."),
    );
    if (Number(pct(f1(best) - f1(second))) < 1) {
      lines.push(
        `- The top two differ by less than one point of macro-F1: too close ` +
          `to call (see "Seed-to-seed variation" in the report for how ` +
          `much seeds alone move a score).`,
      );
    }
  } else {
    lines.push(
      `- Only **${best.label}** has finished: macro-F1 ${f1(best).toFixed(4)}.`,
    );
  }
  return lines;
}

/**
 * Conclusions from the numbers: the best variation and its margin, training
 * time, and signs of overfitting per variation.
 */
export function conclusions(
  exp: Experiment,
  results: readonly VariationResult[],
): string {
  const done = results.filter((r) => r.metrics);
  const lines: string[] = [];
  if (done.length === 0) {
    return `- None of the ${results.length} variations has finished yet.\n`;
  }
  if (done.length < results.length) {
    lines.push(
      `- ${
        results.length - done.length
      } of ${results.length} variations have ` +
        `not finished; the conclusions cover the ${done.length} that have.`,
    );
  }
  if (exp.families.length > 1) {
    lines.push(
      `- The variations train different families (${
        exp.families.join(", ")
      }) ` +
        `on different data sets, so their scores are not ranked.`,
    );
  } else {
    lines.push(...ranking(exp, done));
  }
  const fastest = [...done].sort((a, b) =>
    a.metrics!.trainSeconds - b.metrics!.trainSeconds
  );
  if (done.length > 1) {
    const slow = fastest[fastest.length - 1]!;
    const fast = fastest[0]!;
    lines.push(
      `- Training time ranged from ${
        fast.metrics!.trainSeconds.toFixed(0)
      } s ` +
        `(${fast.label}) to ${
          slow.metrics!.trainSeconds.toFixed(0)
        } s (${slow.label}).`,
    );
  }
  for (const r of done) {
    const h = r.history;
    if (!h.length) continue;
    const last = h[h.length - 1]!;
    // Read from the history, not from metrics.bestEpoch, which follows the
    // early-stopping monitor (it may watch accuracy).
    let bestEpoch = 1;
    for (const e of h) {
      if (e.val_loss < h[bestEpoch - 1]!.val_loss) bestEpoch = e.epoch;
    }
    const gap = last.val_loss - last.loss;
    const signs: string[] = [];
    if (bestEpoch < last.epoch) {
      signs.push(
        `validation loss bottomed out at epoch ${bestEpoch} of ${last.epoch}` +
          (r.metrics!.stoppedEarly ? " (early stopping ended it)" : ""),
      );
    } else {
      signs.push(
        `validation loss was still falling at the last epoch (${last.epoch})`,
      );
    }
    signs.push(
      `final validation loss ${
        gap >= 0 ? "exceeds" : "is below"
      } training loss by ` +
        `${Math.abs(gap).toFixed(3)}`,
    );
    const verdict = bestEpoch < last.epoch && gap > 0.1
      ? "overfitting"
      : bestEpoch === last.epoch
      ? "not yet converged, more epochs may help"
      : "no clear overfitting";
    const classes = r.metrics!.test.perClass;
    const weakest = classes.length
      ? classes.reduce((a, b) => (b.f1 < a.f1 ? b : a))
      : undefined;
    const weak = weakest
      ? ` Weakest class: ${weakest.class} (F1 ${weakest.f1.toFixed(2)}, ` +
        `recall ${weakest.recall.toFixed(2)}).`
      : "";
    lines.push(`- ${r.label}: ${signs.join("; ")}: ${verdict}.${weak}`);
  }
  return lines.join("\n") + "\n";
}

/** Writes the experiment's tables, overlay plot and conclusions. */
export async function writeExperimentReport(
  exp: Experiment,
  outputs: string,
): Promise<VariationResult[]> {
  const results = await collectResults(exp, outputs);
  const dir = join(outputs, "experiments", exp.name);
  await writeFileAtomic(join(dir, "results.csv"), resultsCsv(results));
  await writeFileAtomic(join(dir, "results.md"), resultsMarkdown(results));
  await writeFileAtomic(
    join(dir, "loss.svg"),
    lossPlotSvg(
      results.filter((r) => r.history.length).map((r) => ({
        label: r.metrics ? r.label : `${r.label} (unfinished)`,
        train: r.history.map((h) => h.loss),
        val: r.history.map((h) => h.val_loss),
      })),
      `${exp.name}: training (solid) and validation (dashed) loss`,
    ),
  );
  await writeFileAtomic(
    join(dir, "conclusions.md"),
    `# ${exp.name}: conclusions\n\n${exp.description}\n\n` +
      conclusions(exp, results),
  );
  return results;
}
