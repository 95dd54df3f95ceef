/**
 * Picks the best run of each family and copies it, weights included, to
 * `outputs/best/<family>/`, the committed models that `deno task compare`
 * and `deno task predict` use by default.
 *
 * Only runs on the full data count. "Best" is judged on validation data,
 * never on the test set, by a run's validation accuracy at the epoch whose
 * weights it kept (its best epoch when early stopping restored one, else its
 * last), ties broken by the lower validation loss:
 *
 * the configuration (a run's config without its seed) is chosen first, then
 * its best seed. A configuration's score is its mean validation accuracy
 * over its n seeds less one standard error, s / sqrt(n), where s is the
 * seed-to-seed standard deviation of validation accuracy pooled over the
 * family's repeated configurations (ties: the lower mean validation loss).
 * One run's validation accuracy on 100 sentences moves by many points from
 * seed to seed; the penalty keeps a single lucky run from beating a
 * configuration measured over several seeds. With no repeated
 * configuration, s is 0 and the best single run wins.
 *
 * The test macro-F1 reported for the choice is then an honest estimate.
 *
 * @module
 */
import { join } from "node:path";
import type { Family } from "../sweep/schema.ts";
import { FAMILIES } from "../sweep/schema.ts";
import { parseHistoryCsv } from "../sweep/history.ts";
import { configKey } from "../sweep/run_id.ts";
import type { RunMetrics } from "./tables.ts";
import { exists, readJsonIfExists, writeFileAtomic } from "../util/atomic.ts";

export interface Candidate {
  id: string;
  family: Family;
  /** Canonical JSON of the run's config without its seed. */
  configKey: string;
  valAccuracy: number;
  valLoss: number;
  testMacroF1: number;
  /** Whether the run folder still holds its weights (`model/`). */
  hasWeights: boolean;
}

/** Lists every finished run under `outputs/runs` with its selection score. */
export async function candidates(outputs: string): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const root = join(outputs, "runs");
  if (!(await exists(root))) return out;
  const ids = [...Deno.readDirSync(root)].filter((e) => e.isDirectory)
    .map((e) => e.name).sort();
  for (const id of ids) {
    const dir = join(root, id);
    const metrics = await readJsonIfExists<RunMetrics>(
      join(dir, "metrics.json"),
    );
    if (!metrics) continue;
    const { config } = JSON.parse(
      await Deno.readTextFile(join(dir, "config.json")),
    ) as {
      config: {
        family: Family;
        seed: number;
        data: { limit?: unknown };
        training: { earlyStopping: unknown };
      };
    };
    // Runs on a slice of the data (the smoke test) are not candidates: their
    // validation slices are too small to compare with full runs.
    if (config.data.limit) continue;
    const historyFile = join(dir, "history.csv");
    const history = parseHistoryCsv(
      await Deno.readTextFile(historyFile),
      historyFile,
    );
    // The weights the run kept: its best epoch when early stopping restored
    // it, otherwise the last epoch.
    const keptEpoch = config.training.earlyStopping && metrics.bestEpoch
      ? metrics.bestEpoch
      : history.length;
    const kept = history[keptEpoch - 1] ?? history[history.length - 1]!;
    out.push({
      id,
      family: config.family,
      configKey: configKey(config),
      valAccuracy: kept.val_accuracy,
      valLoss: kept.val_loss,
      testMacroF1: metrics.test.macroF1,
      hasWeights: await exists(join(dir, "model", "model.json")),
    });
  }
  return out;
}

/** The best candidate of a family by the rule in the module doc. */
export function pickBest(
  all: readonly Candidate[],
  family: Family,
): Candidate | undefined {
  const runs = all.filter((c) => c.family === family);
  const groups = new Map<string, Candidate[]>();
  for (const c of runs) {
    groups.set(c.configKey, [...(groups.get(c.configKey) ?? []), c]);
  }
  const mean = (g: Candidate[], f: (c: Candidate) => number) =>
    g.reduce((s, c) => s + f(c), 0) / g.length;
  const sd = pooledSeedSd([...groups.values()]);
  // A pessimistic score: the mean less one standard error, so that one
  // lucky run does not beat a configuration measured over several seeds.
  const score = (g: Candidate[]) =>
    mean(g, (c) => c.valAccuracy) - sd / Math.sqrt(g.length);
  const ranked = [...groups.entries()].sort(([ka, a], [kb, b]) =>
    score(b) - score(a) ||
    mean(a, (c) => c.valLoss) - mean(b, (c) => c.valLoss) ||
    ka.localeCompare(kb)
  );
  return ranked.length ? bestRun(ranked[0]![1]) : undefined;
}

/**
 * The standard deviation of validation accuracy between seeds of one
 * configuration, pooled over every configuration with two or more seeds
 * (0 when there is none).
 */
export function pooledSeedSd(groups: readonly Candidate[][]): number {
  let squares = 0;
  let freedom = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    const m = g.reduce((s, c) => s + c.valAccuracy, 0) / g.length;
    squares += g.reduce((s, c) => s + (c.valAccuracy - m) ** 2, 0);
    freedom += g.length - 1;
  }
  return freedom ? Math.sqrt(squares / freedom) : 0;
}

/** The best single run of a family, ignoring seed groups. */
export function pickBestRun(
  all: readonly Candidate[],
  family: Family,
): Candidate | undefined {
  return bestRun(all.filter((c) => c.family === family));
}

/** The highest validation accuracy, then the lower loss, then the id. */
function bestRun(runs: readonly Candidate[]): Candidate | undefined {
  return [...runs].sort((a, b) =>
    b.valAccuracy - a.valAccuracy || a.valLoss - b.valLoss ||
    a.id.localeCompare(b.id)
  )[0];
}

const COPIED = [
  "config.json",
  "history.csv",
  "metrics.json",
  "loss.svg",
  "model/model.json",
  "model/weights.bin",
  "model/vocabulary.json",
];

/**
 * Copies each family's best run to `outputs/best/<family>/` (again, so that
 * metrics added later, such as the engine's parity, follow). A best run whose weights are no longer on this machine
 * (a clean clone keeps only the committed best) leaves the folder alone.
 *
 * @returns the chosen run id per family.
 */
export async function promoteBest(
  outputs: string,
): Promise<Partial<Record<Family, string>>> {
  const all = await candidates(outputs);
  const chosen: Partial<Record<Family, string>> = {};
  for (const family of FAMILIES) {
    const best = pickBest(all, family);
    if (!best) continue;
    chosen[family] = best.id;
    const target = join(outputs, "best", family);
    if (!best.hasWeights) continue;
    // Build the new folder beside the old one, then swap: a kill at any
    // moment leaves either the old folder or the new one, never a mix.
    const fresh = `${target}.new.tmp`;
    const old = `${target}.old.tmp`;
    await Deno.remove(fresh, { recursive: true }).catch(() => {});
    for (const file of COPIED) {
      const from = join(outputs, "runs", best.id, file);
      if (await exists(from)) {
        await writeFileAtomic(join(fresh, file), await Deno.readFile(from));
      }
    }
    // A parity check of the same model (`deno task compare`) stays with it.
    if (await sameRun(target, best.id)) {
      for (const file of ["compare.json", "compare.md"]) {
        if (await exists(join(target, file))) {
          await writeFileAtomic(
            join(fresh, file),
            await Deno.readFile(join(target, file)),
          );
        }
      }
    }
    await Deno.remove(old, { recursive: true }).catch(() => {});
    if (await exists(target)) await Deno.rename(target, old);
    await Deno.rename(fresh, target);
    await Deno.remove(old, { recursive: true }).catch(() => {});
  }
  return chosen;
}

/** Whether the best folder `dir` already holds run `id`. */
async function sameRun(dir: string, id: string): Promise<boolean> {
  const saved = await readJsonIfExists<{ id?: string }>(
    join(dir, "config.json"),
  );
  return saved?.id === id;
}
