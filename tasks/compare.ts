/**
 * `deno task compare [PATH...] [--outputs DIR] [--report FILE]
 *  [--language L] [--batch-size N] [--limit N] [--backend wasm|cpu]
 *  [--tolerance T] [--record]`
 *
 * Runs the from-scratch engine and TensorFlow.js on each model's full test
 * set and checks that they agree. PATH is a run folder, a model folder
 * (holding `model.json`) or an experiment YAML (every run of it, found
 * under `--outputs`, default `outputs`). Without PATH: every model in a
 * subfolder of `<outputs>/best/`.
 *
 * Prints a table per model and writes `compare.json` and `compare.md` in
 * each PATH folder (the run folder, or the model folder), or one combined
 * `FILE.json` + `FILE.md` with `--report FILE`. `--record` also merges a
 * `parity` field into each run's `metrics.json`.
 *
 * Exits 1 if any model has agreement below 100% or a max difference above
 * the tolerance (1e-5), printing the first diverging layer, or failed to
 * load; 2 on bad arguments or when there is nothing to compare.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, dirname, join } from "node:path";
import {
  compareOnSet,
  evalSetFor,
  mergeParity,
  type ParityReport,
} from "../src/compare/parity.ts";
import type { BackendName } from "../src/tfjs/backend.ts";
import { loadExperiment } from "../src/sweep/experiment.ts";
import { runId } from "../src/sweep/run_id.ts";
import {
  exists,
  writeFileAtomic,
  writeJsonAtomic,
} from "../src/util/atomic.ts";
import { createLogger } from "../src/util/log.ts";

/** One model to compare. */
export interface Target {
  /** How the model is named in tables: the PATH, or `yaml: label`. */
  label: string;
  /** The run or model folder (`evalSetFor` finds the model inside). */
  dir: string;
  /** Set when the target could not even be found. */
  error?: string;
}

/** A target's outcome: its report, or why it has none. */
export interface Outcome {
  target: Target;
  dataset?: string;
  report?: ParityReport;
  error?: string;
}

/**
 * Expands the command line's PATHs into targets: folders as they are, an
 * experiment YAML into `<outputs>/runs/<runId>` of each of its runs; no
 * PATH into every folder under `<outputs>/best/` holding a model.
 *
 * @throws ConfigError (from `loadExperiment`) for an invalid YAML.
 */
export async function resolveTargets(
  paths: string[],
  outputs: string,
): Promise<Target[]> {
  if (paths.length === 0) return await bestModels(join(outputs, "best"));
  const targets: Target[] = [];
  for (const path of paths) {
    if (/\.ya?ml$/i.test(path)) {
      const experiment = await loadExperiment(path);
      for (const run of experiment.runs) {
        const dir = join(outputs, "runs", runId(run.config));
        const finished = await exists(join(dir, "metrics.json"));
        targets.push({
          label: `${experiment.name}: ${run.label}`,
          dir,
          ...(finished ? {} : {
            error: `not trained: ${dir}/metrics.json is missing (run ` +
              `deno task sweep ${path} --outputs ${outputs})`,
          }),
        });
      }
    } else {
      targets.push({ label: path, dir: path });
    }
  }
  return targets;
}

async function bestModels(best: string): Promise<Target[]> {
  const targets: Target[] = [];
  if (!(await exists(best))) return targets;
  for await (const entry of Deno.readDir(best)) {
    if (!entry.isDirectory) continue;
    const dir = join(best, entry.name);
    if (
      await exists(join(dir, "model.json")) ||
      await exists(join(dir, "model", "model.json"))
    ) {
      targets.push({ label: dir, dir });
    }
  }
  return targets.sort((a, b) => (a.dir < b.dir ? -1 : 1));
}

/** A number in a fixed, diff-friendly form. */
function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function sci(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}

/** The console table of one outcome. */
export function formatTable(o: Outcome): string {
  const head = `== ${o.target.label}`;
  if (!o.report) return `${head}\nERROR ${o.error}\n`;
  const r = o.report;
  const rows = [
    ["", "engine", `tfjs (${r.backend})`],
    ["accuracy", fixed(r.engine.accuracy, 4), fixed(r.tfjs.accuracy, 4)],
    ["macro-F1", fixed(r.engine.macroF1, 4), fixed(r.tfjs.macroF1, 4)],
    ["seconds", fixed(r.engine.seconds, 2), fixed(r.tfjs.seconds, 2)],
  ];
  const lines = [
    head,
    `model ${r.modelDir}, ${o.dataset} test set: ${r.examples} examples, ` +
    `${r.classes} classes`,
    ...rows.map(([a, b, c]) =>
      `  ${a!.padEnd(10)}${b!.padStart(10)}${c!.padStart(14)}`
    ),
    `  agreement ${fixed(100 * r.agreement, 2)}%, max |diff| ` +
    `${sci(r.maxAbsDiff)}, mean |diff| ${sci(r.meanAbsDiff)} ` +
    `(tolerance ${sci(r.tolerance)}): ${r.ok ? "OK" : "DIVERGES"}`,
  ];
  if (r.divergence) lines.push(...divergenceLines(r));
  return lines.join("\n") + "\n";
}

function divergenceLines(r: ParityReport): string[] {
  const d = r.divergence!;
  const first = d.firstDiverging;
  return [
    first
      ? `  first diverging layer: ${first.layer} (${first.className}), max ` +
        `|diff| ${sci(first.maxAbsDiff)} at scale ${sci(first.scale)}`
      : `  no layer exceeds the tolerance on the ${d.examples.length} worst ` +
        `examples (a near-tie flipped by rounding?)`,
    `  per layer on examples [${d.examples.join(", ")}]:`,
    ...d.layers.map((l) =>
      `    ${l.layer.padEnd(36)} ${l.className.padEnd(22)} ` +
      `${sci(l.maxAbsDiff)}`
    ),
  ];
}

/** Markdown report of several outcomes: one summary table, then details. */
export function formatMarkdown(outcomes: Outcome[]): string {
  const lines = [
    "# Engine vs TensorFlow.js",
    "",
    "| model | data | examples | agreement | max abs diff | mean abs diff " +
    "| engine acc | tfjs acc | engine macro-F1 | tfjs macro-F1 | engine s " +
    "| tfjs s | status |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const o of outcomes) {
    const r = o.report;
    if (!r) {
      lines.push(
        `| ${o.target.label} | | | | | | | | | | | | error: ${o.error} |`,
      );
      continue;
    }
    lines.push(
      `| ${o.target.label} | ${o.dataset} | ${r.examples} | ` +
        `${fixed(100 * r.agreement, 2)}% | ${sci(r.maxAbsDiff)} | ` +
        `${sci(r.meanAbsDiff)} | ${fixed(r.engine.accuracy, 4)} | ` +
        `${fixed(r.tfjs.accuracy, 4)} | ${fixed(r.engine.macroF1, 4)} | ` +
        `${fixed(r.tfjs.macroF1, 4)} | ${fixed(r.engine.seconds, 2)} | ` +
        `${fixed(r.tfjs.seconds, 2)} | ${r.ok ? "ok" : "DIVERGES"} |`,
    );
  }
  for (const o of outcomes.filter((o) => o.report?.divergence)) {
    lines.push("", `## ${o.target.label}`, "", "```");
    lines.push(...divergenceLines(o.report!).map((l) => l.slice(2)));
    lines.push("```");
  }
  return lines.join("\n") + "\n";
}

/** The JSON report: one entry per outcome. */
export function outcomeJson(o: Outcome): Record<string, unknown> {
  return {
    model: o.target.label,
    dir: o.target.dir,
    ...(o.dataset ? { dataset: o.dataset } : {}),
    ...(o.report ? { report: o.report } : { error: o.error }),
  };
}

interface Options {
  language?: string;
  batchSize?: number;
  limit?: number;
  backend: BackendName;
  tolerance: number;
  record: boolean;
}

async function compareTarget(t: Target, opts: Options): Promise<Outcome> {
  if (t.error) return { target: t, error: t.error };
  try {
    const set = await evalSetFor(t.dir, opts);
    const report = await compareOnSet(set.modelDir, set, set.labels, opts);
    const metricsPath = join(t.dir, "metrics.json");
    if (opts.record && await exists(metricsPath)) {
      await mergeParity(metricsPath, report);
    }
    const dataset = set.language ? `nusax/${set.language}` : set.dataset;
    return { target: t, dataset, report };
  } catch (e) {
    return { target: t, error: (e as Error).message };
  }
}

function numberOption(
  name: string,
  value: string | undefined,
  ok: (n: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!ok(n)) {
    console.error(`--${name}: expected ${what}, got "${value}"`);
    Deno.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      outputs: { type: "string", default: "outputs" },
      report: { type: "string" },
      language: { type: "string" },
      "batch-size": { type: "string" },
      limit: { type: "string" },
      backend: { type: "string", default: "wasm" },
      tolerance: { type: "string" },
      record: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task compare [RUN_DIR | MODEL_DIR | EXPERIMENT.yaml ...] " +
        "[--outputs DIR] [--report FILE] [--language L] [--batch-size N] " +
        "[--limit N] [--backend wasm|cpu] [--tolerance T] [--record]",
    );
    return 0;
  }
  const backend = values.backend;
  if (backend !== "wasm" && backend !== "cpu") {
    console.error(`--backend: expected wasm or cpu, got "${backend}"`);
    return 2;
  }
  const positive = (n: number) => Number.isInteger(n) && n >= 1;
  const opts: Options = {
    ...(values.language ? { language: values.language } : {}),
    batchSize: numberOption(
      "batch-size",
      values["batch-size"],
      positive,
      "an integer >= 1",
    ) ?? 64,
    ...(values.limit
      ? {
        limit: numberOption("limit", values.limit, positive, "an integer >= 1"),
      }
      : {}),
    backend,
    tolerance: numberOption(
      "tolerance",
      values.tolerance,
      (n) => n >= 0,
      "a number >= 0",
    ) ?? 1e-5,
    record: values.record!,
  };

  const targets = await resolveTargets(positionals, values.outputs!);
  if (targets.length === 0) {
    console.error(
      `nothing to compare: no model folders under ` +
        `${join(values.outputs!, "best")}/*/ (none committed yet?); pass a ` +
        `run folder, model folder or experiment YAML`,
    );
    return 2;
  }

  const log = createLogger("compare");
  const outcomes: Outcome[] = [];
  for (const [i, target] of targets.entries()) {
    log.info(`[${i + 1}/${targets.length}] ${target.label}`);
    const outcome = await compareTarget(target, opts);
    outcomes.push(outcome);
    console.log(formatTable(outcome));
    if (!values.report && !target.error && outcome.report) {
      await writeJsonAtomic(
        join(target.dir, "compare.json"),
        outcomeJson(outcome),
      );
      await writeFileAtomic(
        join(target.dir, "compare.md"),
        formatMarkdown([outcome]),
      );
    }
  }
  if (values.report) {
    const stem = join(
      dirname(values.report),
      basename(values.report).replace(/\.(json|md)$/, ""),
    );
    await writeJsonAtomic(`${stem}.json`, outcomes.map(outcomeJson));
    await writeFileAtomic(`${stem}.md`, formatMarkdown(outcomes));
    log.info(`wrote ${stem}.json and ${stem}.md`);
  }

  const bad = outcomes.filter((o) => !o.report?.ok);
  if (bad.length === 0) {
    log.info(`all ${outcomes.length} model(s) agree`);
    return 0;
  }
  console.error(`${bad.length} of ${outcomes.length} model(s) failed:`);
  for (const o of bad) {
    const first = o.report?.divergence?.firstDiverging;
    const why = o.error ??
      (first
        ? `first diverging layer ${first.layer} (${first.className}), max ` +
          `|diff| ${sci(first.maxAbsDiff)}`
        : `agreement ${fixed(100 * o.report!.agreement, 2)}%, max |diff| ` +
          `${sci(o.report!.maxAbsDiff)}; no single layer exceeds the ` +
          `tolerance`);
    console.error(`  ${o.target.label}: ${why}`);
  }
  return 1;
}

if (import.meta.main) Deno.exit(await main());
