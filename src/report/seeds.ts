/**
 * Seed-to-seed variation: finished runs whose configurations differ only in
 * `seed` show how far chance alone (initial weights, dropout masks, batch
 * order) moves test macro-F1. The report uses the widest such spread as the
 * yardstick below which a difference between variations is not evidence.
 *
 * @module
 */
import { configKey } from "../sweep/run_id.ts";
import type { RunConfig } from "../sweep/schema.ts";

/** One finished run: its id, config, test macro-F1 and a readable name. */
export interface SeededRun {
  id: string;
  config: RunConfig;
  macroF1: number;
  /** Where the run appears, e.g. `lstm-layers: 2 layers`. */
  name: string;
}

/** Runs of one configuration that differ only in their seed. */
export interface SeedGroup {
  /**
   * The name of the highest-seed run, standing for the configuration: with
   * the default seed 42 that is the study that introduced it.
   */
  name: string;
  family: RunConfig["family"];
  /** Canonical JSON of the shared configuration without its seed. */
  configKey: string;
  seeds: number[];
  /** Test macro-F1 per seed, in `seeds` order. */
  macroF1: number[];
  mean: number;
  /** Sample standard deviation (n - 1). */
  sd: number;
  /** Largest minus smallest macro-F1. */
  range: number;
}

/**
 * Groups runs by their configuration without the seed and keeps the groups
 * with at least two seeds, ordered by family, then by name. Runs listed
 * twice (the same id) count once.
 */
export function seedGroups(runs: readonly SeededRun[]): SeedGroup[] {
  const groups = new Map<string, SeededRun[]>();
  const seen = new Set<string>();
  for (const run of runs) {
    if (seen.has(run.id)) continue;
    seen.add(run.id);
    const key = configKey(run.config);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const out: SeedGroup[] = [];
  for (const [configKey, members] of groups) {
    if (members.length < 2) continue;
    members.sort((a, b) => a.config.seed - b.config.seed);
    const f1 = members.map((m) => m.macroF1);
    const mean = f1.reduce((s, v) => s + v, 0) / f1.length;
    const sd = Math.sqrt(
      f1.reduce((s, v) => s + (v - mean) ** 2, 0) / (f1.length - 1),
    );
    out.push({
      name: members[members.length - 1]!.name,
      family: members[0]!.config.family,
      configKey,
      seeds: members.map((m) => m.config.seed),
      macroF1: f1,
      mean,
      sd,
      range: Math.max(...f1) - Math.min(...f1),
    });
  }
  const order = ["cnn", "rnn", "lstm"];
  return out.sort((a, b) =>
    order.indexOf(a.family) - order.indexOf(b.family) ||
    a.name.localeCompare(b.name)
  );
}
