/**
 * Picks the best run of each family and copies it, weights included, to
 * `outputs/best/<family>/`, the committed models that `deno task compare`
 * and `deno task predict` use by default.
 *
 * Only runs on the full data count. "Best" is judged on validation data,
 * never on the test set: the highest
 * validation accuracy at the epoch whose weights the run kept (its best
 * epoch when early stopping restored one, else its last), ties broken by the
 * lower validation loss. The test macro-F1 reported for it is then an honest
 * estimate.
 *
 * @module
 */
import { join } from "node:path";
import type { Family } from "../sweep/schema.ts";
import { FAMILIES } from "../sweep/schema.ts";
import { parseHistoryCsv } from "../sweep/history.ts";
import type { RunMetrics } from "./tables.ts";
import { exists, readJsonIfExists, writeFileAtomic } from "../util/atomic.ts";

export interface Candidate {
  id: string;
  family: Family;
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
  return all.filter((c) => c.family === family).sort((a, b) =>
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
    await Deno.remove(old, { recursive: true }).catch(() => {});
    if (await exists(target)) await Deno.rename(target, old);
    await Deno.rename(fresh, target);
    await Deno.remove(old, { recursive: true }).catch(() => {});
  }
  return chosen;
}
