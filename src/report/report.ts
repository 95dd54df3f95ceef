/**
 * `REPORT.md`: every study's set-up, table, loss overlay and conclusions, the
 * engine's parity for every run, and recommendations, all generated from the
 * committed run folders. Figures are copied to `figures/` beside the report.
 * The same runs always give the same bytes.
 *
 * @module
 */
import { join } from "node:path";
import { type Experiment, loadExperiment } from "../sweep/experiment.ts";
import { configKey, runId } from "../sweep/run_id.ts";
import {
  type Family,
  familyDefaults,
  type RunConfig,
} from "../sweep/schema.ts";
import {
  conclusions,
  resultsMarkdown,
  type RunMetrics,
  type VariationResult,
  writeExperimentReport,
} from "./tables.ts";
import { type Candidate, candidates, pickBest, pickBestRun } from "./best.ts";
import { type SeedGroup, seedGroups } from "./seeds.ts";
import type { Environment } from "./environment.ts";
import { readJsonIfExists, writeFileAtomic } from "../util/atomic.ts";

/** The studies in report order. */
export const STUDIES = [
  "cnn-layers",
  "cnn-filters",
  "cnn-kernels",
  "cnn-pooling",
  "rnn-layers",
  "rnn-units",
  "rnn-direction",
  "lstm-layers",
  "lstm-units",
  "lstm-direction",
] as const;

/** The macro-F1 each family's best model should reach (README, "Results"). */
export const QUALITY_BAR: Record<Family, number> = {
  cnn: 0.70,
  rnn: 0.60,
  lstm: 0.75,
};

const FAMILY_NAME: Record<Family, string> = {
  cnn: "CNN",
  rnn: "SimpleRNN",
  lstm: "LSTM",
};

function flatten(
  value: unknown,
  prefix = "",
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else {
    out[prefix] = value;
  }
  return out;
}

/** As {@link show}, with an absent optional field written as "unset". */
function shown(v: unknown): string {
  return v === undefined ? "unset" : show(v);
}

function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(", ")}]` : String(v);
}

/** Hyperparameters shared by every variation of a study. */
function fixedParameters(exp: Experiment): string {
  const varied = new Set(exp.runs.flatMap((r) => Object.keys(r.varied)));
  const flat = flatten(exp.runs[0]!.config);
  const keys = Object.keys(flat).filter((k) =>
    !varied.has(k) && k !== "family" && !k.startsWith("data.limit")
  ).sort();
  return keys.map((k) => `\`${k}\`=${show(flat[k])}`).join(", ");
}

export interface StudyResults {
  exp: Experiment;
  results: VariationResult[];
}

function parityTable(studies: readonly StudyResults[]): string {
  const rows = new Map<string, string>();
  for (const { exp, results } of studies) {
    for (const r of results) {
      const p = r.metrics?.parity;
      const prior = rows.get(r.id);
      if (prior) {
        rows.set(r.id, prior.replace(" |", `; ${exp.name}: ${r.label} |`));
        continue;
      }
      const cells = p
        ? [
          `${(p.agreement * 100).toFixed(2)}%`,
          p.maxAbsDiff.toExponential(2),
          p.meanAbsDiff.toExponential(2),
          p.engineMacroF1.toFixed(4),
          p.tfjsMacroF1.toFixed(4),
          p.engineSeconds.toFixed(2),
          p.tfjsSeconds.toFixed(2),
        ]
        : Array(7).fill(r.metrics ? "not measured" : "not trained");
      rows.set(
        r.id,
        `| \`${r.id}\` ${exp.name}: ${r.label} | ${cells.join(" | ")} |`,
      );
    }
  }
  return [
    "| run | agreement | max abs diff | mean abs diff | engine macro-F1 | " +
    "tfjs macro-F1 | engine s | tfjs s |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...[...rows.keys()].sort().map((k) => rows.get(k)!),
  ].join("\n");
}

function recommendations(
  studies: readonly StudyResults[],
  all: readonly Candidate[],
  groups: readonly SeedGroup[],
): string {
  const lines: string[] = [];
  for (const family of ["cnn", "rnn", "lstm"] as const) {
    const best = pickBest(all, family);
    const name = FAMILY_NAME[family];
    if (!best) {
      lines.push(`- **${name}**: no finished run yet.`);
      continue;
    }
    const bar = QUALITY_BAR[family];
    const study = studies.flatMap((s) =>
      s.results.filter((r) => r.id === best.id).map((r) =>
        `${s.exp.name}: ${r.label}`
      )
    );
    lines.push(
      `- **${name}**: use \`${best.id}\` (${
        study.join("; ") || "no study"
      }), ` +
        `chosen on validation data (its validation accuracy ` +
        `${best.valAccuracy.toFixed(4)}); its test macro-F1 is ` +
        `${best.testMacroF1.toFixed(4)}, ` +
        (best.testMacroF1 >= bar
          ? `above the ${bar.toFixed(2)} this project aims for.`
          : `below the ${bar.toFixed(2)} this project aims for.`) +
        singleRunNote(all, family, best),
    );
  }
  for (const study of studies) {
    const line = studyVerdict(study, groups);
    if (line) lines.push(line);
  }
  return lines.join("\n");
}

/**
 * The parity table in a few sentences: worst agreement and difference over
 * all measured runs, and how the engine's time compares per family.
 */
function paritySummary(studies: readonly StudyResults[]): string {
  const byId = new Map<string, NonNullable<RunMetrics["parity"]>>();
  for (const { results } of studies) {
    for (const r of results) {
      if (r.metrics?.parity) byId.set(r.id, r.metrics.parity);
    }
  }
  if (byId.size === 0) return "No run has measured its parity yet.";
  const all = [...byId.values()];
  const lines = [
    `- ${all.length} runs measured: ` +
    (Math.min(...all.map((p) => p.agreement)) === 1
      ? "the same class for every test example of every run, "
      : `agreement at least ${
        (Math.min(...all.map((p) => p.agreement)) * 100).toFixed(2)
      }%, `) +
    `maximum absolute difference at most ` +
    `${Math.max(...all.map((p) => p.maxAbsDiff)).toExponential(2)} ` +
    "(the bar is 100% and 1e-5).",
  ];
  for (const family of ["cnn", "rnn", "lstm"] as const) {
    const ratios = [...byId.entries()]
      .filter(([id]) => id.startsWith(`${family}-`))
      .map(([, p]) => p.engineSeconds / p.tfjsSeconds);
    if (ratios.length === 0) continue;
    lines.push(
      `- ${FAMILY_NAME[family]}: the engine takes a median ` +
        `${median(ratios).toFixed(1)}x the time of TensorFlow.js ` +
        `(${ratios.length} runs).`,
    );
  }
  lines.push(
    "- The engine is single-threaded scalar TypeScript (matrix products in " +
      "4x4 register tiles), while TensorFlow.js's wasm backend runs its " +
      "convolutions in XNNPACK's compiled kernels (SIMD where the runtime " +
      "has it): that is most of the gap on the CNNs. The recurrent models " +
      "spend their time in many small per-step products, where neither " +
      "side vectorises much, so the gap is smaller there (the engine is " +
      "even faster on the SimpleRNNs). Times were taken while other runs " +
      "shared the machine.",
  );
  return lines.join("\n");
}

/** Every finished run once, with all the places it appears. */
function seededRuns(studies: readonly StudyResults[]) {
  const byId = new Map<
    string,
    { config: RunConfig; macroF1: number; names: string[] }
  >();
  for (const { exp, results } of studies) {
    results.forEach((r, i) => {
      if (!r.metrics) return;
      const entry = byId.get(r.id) ?? {
        config: exp.runs[i]!.config,
        macroF1: r.metrics.test.macroF1,
        names: [],
      };
      entry.names.push(`${exp.name}: ${r.label}`);
      byId.set(r.id, entry);
    });
  }
  return [...byId.entries()].map(([id, e]) => ({
    id,
    config: e.config,
    macroF1: e.macroF1,
    // The first study that trained it names it; more would crowd the table.
    name: e.names.length > 1
      ? `${e.names[0]} (and ${e.names.length - 1} more studies)`
      : e.names[0]!,
  }));
}

function seedSection(groups: readonly SeedGroup[]): string {
  if (groups.length === 0) {
    return "No configuration has been trained with more than one seed yet, " +
      "so the noise between runs is not measured.";
  }
  const rows = groups.map((g) =>
    `| ${FAMILY_NAME[g.family]} | ${g.name} | ${g.seeds.join(", ")} | ` +
    `${g.macroF1.map((v) => v.toFixed(4)).join(", ")} | ` +
    `${g.mean.toFixed(4)} | ${g.sd.toFixed(4)} | ${
      (g.range * 100).toFixed(1)
    } |`
  );
  const widest = [...groups].sort((a, b) => b.range - a.range)[0]!;
  return [
    "Runs whose configurations differ only in `seed` (initial weights, " +
    "dropout masks, batch order; the data split is fixed). Their spread " +
    "is what chance alone does to test macro-F1.",
    "",
    "| family | configuration | seeds | test macro-F1 per seed | mean | sd (n - 1) | range (points) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    `- The widest spread is ${(widest.range * 100).toFixed(1)} points of ` +
    `macro-F1 (${widest.name}): between two variations trained once each, ` +
    "a difference smaller than the spread of their family is not evidence " +
    "that one is better.",
  ].join("\n");
}

/** Examples in the test set, from the per-class supports (0 if absent). */
function testSize(metrics: RunMetrics): number {
  return metrics.test.perClass.reduce((n, c) => n + c.support, 0);
}

/**
 * Sampling error of a score `p` measured on `n` test examples, as for a
 * proportion: sqrt(p (1 - p) / n). Used as the scale of a macro-F1 too.
 */
function standardError(p: number, n: number): number {
  return Math.sqrt(p * (1 - p) / n);
}

/** A study's variations folded into configurations (seed left out). */
interface ConfigScore {
  label: string;
  /** Test macro-F1: the mean over the configuration's seeds. */
  f1: number;
  /** Test set size (0 when the metrics carry no per-class supports). */
  testSize: number;
  /** Finished seeds behind `f1` (over all studies). */
  seeds: number;
}

/**
 * The study's verdict in one line: its two best configurations and whether
 * the gap between them means anything. Variations that differ only in seed
 * are one configuration, scored by the mean over all its finished seeds
 * (from any study), so a lucky seed does not decide. A gap under one point
 * (after rounding) is too close to call; a larger one is called
 * "suggestive" when it is smaller than the largest seed spread measured in
 * the family, and "not established" when the family has no seed repeats.
 */
export function studyVerdict(
  { exp, results }: StudyResults,
  groups: readonly SeedGroup[],
): string | undefined {
  const byConfig = new Map<string, ConfigScore>();
  results.forEach((r, i) => {
    if (!r.metrics) return;
    const key = configKey(exp.runs[i]!.config);
    if (byConfig.has(key)) return;
    const group = groups.find((g) => g.configKey === key);
    byConfig.set(key, {
      label: group
        ? `${
          r.label.replace(/, seed \d+$/, "")
        } (mean of ${group.seeds.length} seeds)`
        : r.label,
      f1: group ? group.mean : r.metrics.test.macroF1,
      testSize: testSize(r.metrics),
      seeds: group ? group.seeds.length : 1,
    });
  });
  const ranked = [...byConfig.values()].sort((a, b) =>
    b.f1 - a.f1 || a.label.localeCompare(b.label)
  );
  if (ranked.length < 2) {
    return results.filter((r) => r.metrics).length >= 2
      ? `- ${exp.name}: its runs differ only in their seed; see ` +
        `"Seed-to-seed variation".`
      : undefined;
  }
  const [top, next] = [ranked[0]!, ranked[1]!];
  const margin = Number(((top.f1 - next.f1) * 100).toFixed(1));
  const family = exp.families[0]!;
  const familyGroups = groups.filter((g) => g.family === family);
  const spread = Math.max(0, ...familyGroups.map((g) => g.range * 100));
  let verdict: string;
  if (margin < 1) {
    verdict = `and ${next.label} are within one point of macro-F1 ` +
      `(${margin.toFixed(1)}): too close to call.`;
  } else if (familyGroups.length === 0) {
    // Seed noise unmeasured: only the test set's own sampling error, about
    // sqrt(p (1 - p) / n) for a score p on n examples, gives a scale.
    const n = top.testSize;
    const se = n > 0 ? standardError(top.f1, n) * 100 : Infinity;
    verdict = `leads ${next.label} by ${margin.toFixed(1)} points of ` +
      `macro-F1, from one run each` +
      (margin > 3 * se
        ? `: more than three times the test set's standard error (about ` +
          `${se.toFixed(1)} points), so likely real, though no ` +
          `${FAMILY_NAME[family]} configuration has been repeated with ` +
          "other seeds."
        : `; no ${FAMILY_NAME[family]} configuration has been repeated ` +
          "with other seeds and the gap is within three test-set standard " +
          `errors (about ${se.toFixed(1)} points each): not established.`);
  } else if (margin < spread) {
    verdict = `leads ${next.label} by ${margin.toFixed(1)} points of ` +
      `macro-F1, less than the ${spread.toFixed(1)} points seeds alone ` +
      `moved one ${FAMILY_NAME[family]} configuration: suggestive, not ` +
      "established.";
  } else {
    verdict = `leads ${next.label} by ${margin.toFixed(1)} points of ` +
      `macro-F1, more than seeds alone moved any ${FAMILY_NAME[family]} ` +
      "configuration.";
  }
  return `- ${exp.name} (test macro-F1): ${top.label} ${verdict}`;
}

/**
 * When the choice went through a configuration's mean over seeds, what the
 * single-run rule (the best validation accuracy of any one run, the rule
 * used before seed studies existed) would have picked instead.
 */
function singleRunNote(
  all: readonly Candidate[],
  family: Family,
  best: Candidate,
): string {
  const single = pickBestRun(all, family);
  if (!single || single.id === best.id) return "";
  return ` The best single run by validation accuracy, \`${single.id}\` ` +
    `(${single.valAccuracy.toFixed(4)}), scored ` +
    `${single.testMacroF1.toFixed(4)} on test: with one run's validation ` +
    "accuracy this noisy, either choice is a draw from the same spread.";
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/**
 * Per family: the best run (chosen on validation) against the target, the
 * range of test macro-F1 over all its runs, and how quickly its runs
 * overfit, from the histories.
 */
function quality(
  studies: readonly StudyResults[],
  all: readonly Candidate[],
  groups: readonly SeedGroup[],
): string {
  const familyRuns = new Map<Family, VariationResult[]>();
  const rows: string[] = [
    "| family | target | chosen run's test macro-F1 | range over its runs | " +
    "runs | median best epoch / epochs run | median final train / val loss |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const family of ["cnn", "rnn", "lstm"] as const) {
    const runs = new Map<string, VariationResult>();
    for (const s of studies) {
      for (const r of s.results) {
        if (r.metrics && r.id.startsWith(`${family}-`)) runs.set(r.id, r);
      }
    }
    const list = [...runs.values()];
    familyRuns.set(family, list);
    const best = pickBest(all, family);
    if (!best || list.length === 0) {
      rows.push(
        `| ${FAMILY_NAME[family]} | ${
          QUALITY_BAR[family]
        } | none yet | | 0 | | |`,
      );
      continue;
    }
    const f1 = list.map((r) => r.metrics!.test.macroF1);
    const last = (r: VariationResult) => r.history[r.history.length - 1]!;
    rows.push(
      `| ${FAMILY_NAME[family]} | ${QUALITY_BAR[family].toFixed(2)} | ` +
        `${best.testMacroF1.toFixed(4)} ` +
        `(${best.testMacroF1 >= QUALITY_BAR[family] ? "met" : "not met"}) | ` +
        `${Math.min(...f1).toFixed(4)} to ${Math.max(...f1).toFixed(4)} | ` +
        `${list.length} | ` +
        `${median(list.map((r) => r.metrics!.bestEpoch))} / ` +
        `${median(list.map((r) => r.metrics!.epochsRun))} | ` +
        `${median(list.map((r) => last(r).loss)).toFixed(3)} / ` +
        `${median(list.map((r) => last(r).val_loss)).toFixed(3)} |`,
    );
  }
  const notes: string[] = [];
  for (const family of ["cnn", "rnn", "lstm"] as const) {
    const best = pickBest(all, family);
    const runs = familyRuns.get(family) ?? [];
    if (best && runs.length && best.testMacroF1 >= QUALITY_BAR[family]) {
      const note = narrowPass(family, best, runs, groups);
      if (note) notes.push(note);
      continue;
    }
    if (!best || !runs.length) continue;
    const bestEpoch = median(runs.map((r) => r.metrics!.bestEpoch));
    const epochs = median(runs.map((r) => r.metrics!.epochsRun));
    const last = (r: VariationResult) => r.history[r.history.length - 1]!;
    const gap = median(runs.map((r) => last(r).val_loss - last(r).loss));
    const reading = bestEpoch >= epochs
      ? "its runs were still improving at their last epoch, so longer " +
        "training (or a higher learning rate) is the first lever"
      : gap > 0.3
      ? `its runs keep their weights early (median epoch ${bestEpoch} of ` +
        `${epochs}) and end with validation loss ${gap.toFixed(2)} above ` +
        "training loss: they fit the training sentences almost perfectly " +
        "while validation loss rises, so more epochs will not help; the " +
        "studies above show how far regularisation, learning rate, " +
        "capacity, vocabulary and class weights moved the score"
      : "its runs neither overfit strongly nor keep improving, so the " +
        "architecture itself is the lever";
    const spread = Math.max(
      0,
      ...groups.filter((g) => g.family === family).map((g) => g.range),
    );
    const shortBy = QUALITY_BAR[family] - best.testMacroF1;
    const noise = spread > shortBy
      ? ` It misses by ${(shortBy * 100).toFixed(1)} points, less than the ` +
        `${(spread * 100).toFixed(1)} points that seeds alone move one ` +
        'configuration ("Seed-to-seed variation").'
      : "";
    notes.push(
      `- ${FAMILY_NAME[family]} is below its target: ${reading}.${noise}`,
    );
  }
  const made = madeTheDifference(studies, all, groups);
  return rows.join("\n") +
    (made.length ? `\n\n${made.join("\n")}` : "") +
    (notes.length ? `\n\n${notes.join("\n")}` : "");
}

/**
 * A target met by less than two test-set standard errors, or by a run whose
 * configuration's other seeds fall short, is met narrowly: say so.
 */
function narrowPass(
  family: Family,
  best: Candidate,
  runs: readonly VariationResult[],
  groups: readonly SeedGroup[],
): string | undefined {
  const bar = QUALITY_BAR[family];
  const chosen = runs.find((r) => r.id === best.id);
  const n = chosen?.metrics ? testSize(chosen.metrics) : 0;
  if (n === 0) return undefined;
  const p = best.testMacroF1;
  const se = standardError(p, n);
  const group = groups.find((g) =>
    g.configKey === best.configKey && g.family === family
  );
  const below = group ? group.macroF1.filter((v) => v < bar).length : 0;
  if (p - bar >= 2 * se && below === 0) return undefined;
  return `- ${FAMILY_NAME[family]} meets its target narrowly: by ` +
    `${((p - bar) * 100).toFixed(1)} points, against a test-set standard ` +
    `error of about ${(se * 100).toFixed(1)}` +
    (group
      ? `; ${below} of its configuration's ${group.seeds.length} seeds ` +
        `score below ${bar.toFixed(2)} (mean ${group.mean.toFixed(4)}).`
      : ".");
}

/**
 * Per family, what separates the chosen run from the family's defaults: the
 * config fields that differ and both test scores, when the defaults have
 * been trained.
 */
function madeTheDifference(
  studies: readonly StudyResults[],
  all: readonly Candidate[],
  groups: readonly SeedGroup[],
): string[] {
  const byId = new Map(seededRuns(studies).map((r) => [r.id, r]));
  const lines: string[] = [];
  for (const family of ["cnn", "rnn", "lstm"] as const) {
    const best = pickBest(all, family);
    const base = byId.get(runId(familyDefaults(family)));
    const chosen = best && byId.get(best.id);
    if (!chosen || !base) continue;
    const a = flatten(base.config);
    const b = flatten(chosen.config);
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
      .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    const what = keys.length
      ? keys.map((k) => `\`${k}\` ${shown(a[k])} -> ${shown(b[k])}`).join(
        ", ",
      )
      : "nothing: it is the default configuration";
    const group = groups.find((g) =>
      g.configKey === configKey(chosen.config) &&
      g.seeds.includes(chosen.config.seed)
    );
    const low = group ? Math.min(...group.macroF1) : 0;
    const high = group ? Math.max(...group.macroF1) : 0;
    const seeds = group
      ? ` The chosen configuration's seeds range from ${low.toFixed(4)} to ` +
        `${high.toFixed(4)}: the seed, picked on validation accuracy, is ` +
        "part of the single model's score."
      : "";
    const baseGroup = groups.find((g) =>
      g.configKey === configKey(base.config)
    );
    const scores = `test macro-F1 ${base.macroF1.toFixed(4)} with the ` +
      `defaults, ${chosen.macroF1.toFixed(4)} chosen.` +
      (baseGroup && group
        ? ` On means over seeds, the fairer comparison: ` +
          `${baseGroup.mean.toFixed(4)} for the defaults ` +
          `(${baseGroup.seeds.length} seeds), ${group.mean.toFixed(4)} for ` +
          `the chosen configuration (${group.seeds.length} seeds).`
        : "");
    lines.push(
      `- ${FAMILY_NAME[family]}: the chosen run differs from the defaults ` +
        `in ${what}; ${scores}${seeds}`,
    );
  }
  return lines;
}

function setUp(env: Environment | undefined, configs: RunConfig[]): string {
  const seeds = [...new Set(configs.map((c) => c.seed))].sort((a, b) => a - b);
  return [
    "- **CIFAR-10**: the JPEG copy of the 60,000 images (baseline JPEG, " +
    "quality about 75), pixels scaled to [0, 1], NHWC. The 50,000 training " +
    "images are split 4:1 into 40,000 train and 10,000 validation by a " +
    "class-stratified shuffle with split seed 42; the 10,000 test images " +
    "are the test set. No augmentation, except where a study sets " +
    "`training.augment`.",
    "- **NusaX-Senti Indonesian**: the data set's own 500 / 100 / 400 " +
    "train / valid / test files; labels negative 0, neutral 1, positive 2. " +
    "Text is lower-cased, stripped of ASCII punctuation and split on " +
    "whitespace (Keras `TextVectorization` semantics); the vocabulary is " +
    "built from the training texts only (at most 8,000 tokens including " +
    "padding and `[UNK]`) and sequences are padded or cut at the end to 80 " +
    "tokens. Embedding `mask_zero` lets the recurrent layers skip padding.",
    '- These are the defaults; where a study changes one (its "Fixed" ' +
    "line and its table give the exact values), the study's value holds.",
    `- **Training**: Adam, sparse categorical cross-entropy, per-variable ` +
    `gradient clipping at norm 1.0, early stopping on validation loss ` +
    `restoring the best weights, learning rate halved after 3 flat epochs. ` +
    `Seeds: ${seeds.join(", ")} (42 unless a study sets another). Full ` +
    `defaults: README, "Configuration reference". Training times were ` +
    `measured while two to four runs shared the two cores, under a load ` +
    `that changed from run to run: read them as rough, even within a study.`,
    env
      ? `- **Software and machine**: Deno ${env.deno} (V8 ${env.v8}), ` +
        `TensorFlow.js ${env.tfjs} on the wasm backend, one core per run; ` +
        `${env.os}/${env.arch}, ${env.cpuModel}, ${env.cores} cores, ` +
        `${env.memoryGiB} GiB.`
      : "- **Software and machine**: not recorded (no outputs/environment.json).",
    "",
    "How to read the tables:",
    "",
    "- `macro_f1` is the F1 score (harmonic mean of precision and recall) " +
    "of each class, averaged with equal weight per class, on the test set; " +
    'a "point" is 0.01 of it. `accuracy` is the share of test examples ' +
    "classified right. A blank cell in a varied column means the family's " +
    "default for that field.",
    "- `final_train_loss`, `final_val_loss` and the overfitting verdicts " +
    "describe the last epoch run; the weights kept (and scored on test) are " +
    "those of `best_epoch`. `min_val_loss` is the lowest validation loss of " +
    "any epoch. Validation loss can sit below training loss because dropout " +
    "is active only in training.",
    "- `engine_agreement` is the share of test examples where the " +
    "from-scratch engine and TensorFlow.js predict the same class; " +
    "`engine_max_abs_diff` the largest difference between their output " +
    "probabilities over the whole test set.",
    "- `best_epoch` is the epoch whose weights were kept: the lowest " +
    "validation loss, or the highest validation accuracy where a run sets " +
    "`training.earlyStopping.monitor: val_accuracy`. The conclusions speak " +
    "of the epoch where validation loss bottomed out, which can differ.",
    "- Every row is one training run with one seed, scored once on the test " +
    "set. The test sets are finite: the standard error of an accuracy near " +
    "0.74 is about 2.2 points on 400 sentences and about 0.46 points near " +
    '0.70 on 10,000 images, and seeds add their own spread ("Seed-to-seed ' +
    'variation" below). Gaps of a point or two between text variations ' +
    "are not evidence on their own.",
    "- The recommended model of each family is chosen on validation data " +
    "only: first the configuration (everything but the seed), by its mean " +
    "validation accuracy over its n seeds less s / sqrt(n), where s is the " +
    "seed-to-seed standard deviation of validation accuracy pooled over the " +
    "family's repeated configurations; then that configuration's seed with " +
    "the best validation accuracy (at the kept epoch; ties go to the lower " +
    "validation loss). One run's accuracy on 100 validation sentences moves " +
    "by up to ten points or more from seed to seed, and the penalty keeps a " +
    "lucky single run from beating a configuration measured over several " +
    "seeds. With no repeated configuration in a family, it is simply the " +
    "best run. The best configurations can still be within a sentence or " +
    "two of each other, and the choice slightly favours runs that kept " +
    "their epoch by validation accuracy.",
  ].join("\n");
}

/**
 * Regenerates every study's files under `outputs/experiments/`, the figures
 * under `figures/` and the report text, which it returns.
 */
export async function buildReport(opts: {
  outputs: string;
  experiments: string;
  figures: string;
}): Promise<string> {
  const studies: StudyResults[] = [];
  // The ten studies in a fixed order, then any further study file (not the
  // smoke test) in name order.
  const stem = (file: string) => file.replace(/\.ya?ml$/, "");
  const extra = [...Deno.readDirSync(opts.experiments)]
    .map((e) => e.name)
    .filter((f) => /\.ya?ml$/.test(f) && stem(f) !== "smoke")
    .filter((f) => !(STUDIES as readonly string[]).includes(stem(f)))
    .sort();
  for (const file of [...STUDIES.map((s) => `${s}.yaml`), ...extra]) {
    const exp = await loadExperiment(join(opts.experiments, file));
    const name = exp.name;
    const results = await writeExperimentReport(exp, opts.outputs);
    await writeFileAtomic(
      join(opts.figures, `${name}-loss.svg`),
      await Deno.readFile(join(opts.outputs, "experiments", name, "loss.svg")),
    );
    studies.push({ exp, results });
  }
  const env = await readJsonIfExists<Environment>(
    join(opts.outputs, "environment.json"),
  );
  const all = await candidates(opts.outputs);
  const trained = new Set(all.map((c) => c.id));
  const total = new Set(
    studies.flatMap((s) => s.exp.runs.map((r) => runId(r.config))),
  );
  const finished = [...total].filter((id) => trained.has(id)).length;

  const parts: string[] = [
    "# Report: CNN, SimpleRNN and LSTM studies",
    "",
    "Generated by `deno task report` from the run folders under " +
    "`outputs/runs/`; do not edit by hand. " +
    `${finished} of the ${total.size} distinct runs of its ` +
    `${studies.length} studies have finished.`,
    "",
    "## Set-up",
    "",
    setUp(env, studies.flatMap((s) => s.exp.runs.map((r) => r.config))),
    "",
  ];
  for (const { exp, results } of studies) {
    parts.push(
      `## ${exp.name}`,
      "",
      exp.description,
      "",
      `Fixed: ${fixedParameters(exp)}.`,
      "",
      resultsMarkdown(results),
      `![${exp.name}: training (solid) and validation (dashed) loss]` +
        `(figures/${exp.name}-loss.svg)`,
      "",
      "Conclusions:",
      "",
      conclusions(exp, results),
    );
  }
  const groups = seedGroups(seededRuns(studies));
  parts.push(
    "## Seed-to-seed variation",
    "",
    seedSection(groups),
    "",
    "## The from-scratch engine against TensorFlow.js",
    "",
    "Each run's model, reloaded from `model.json` + `weights.bin`, predicted " +
      "the full test set (10,000 images or 400 sentences) with TensorFlow.js " +
      "(wasm) and with the engine in `src/engine/`.",
    "",
    parityTable(studies),
    "",
    paritySummary(studies),
    "",
    "## Quality against the targets",
    "",
    "The best model of each family is chosen on validation data, not on " +
      'the test set (`src/report/best.ts`, and "How to read the tables" ' +
      "above); its test macro-F1 is the honest estimate. The range shows " +
      "what every finished run of the family reached on the test set.",
    "",
    quality(studies, all, groups),
    "",
    "## Recommendations",
    "",
    recommendations(studies, all, groups),
    "",
  );
  return parts.join("\n");
}
