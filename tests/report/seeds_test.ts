import assert from "node:assert/strict";
import { type SeededRun, seedGroups } from "../../src/report/seeds.ts";
import { familyDefaults, type RunConfig } from "../../src/sweep/schema.ts";

function run(id: string, seed: number, units: number[], f1: number): SeededRun {
  const config = familyDefaults("lstm");
  config.seed = seed;
  (config.model as { units: number[] }).units = units;
  return { id, config: config as RunConfig, macroF1: f1, name: `${id}` };
}

Deno.test("seedGroups: groups configs equal but for the seed; mean, sample sd, range", () => {
  const groups = seedGroups([
    run("a", 42, [64], 0.70),
    run("b", 1, [64], 0.74),
    run("c", 2, [64], 0.72),
    run("a", 42, [64], 0.70), // listed again by another study: counts once
    run("d", 42, [128], 0.75), // alone: no group
  ]);
  assert.equal(groups.length, 1);
  const g = groups[0]!;
  assert.deepEqual(g.seeds, [1, 2, 42]);
  assert.deepEqual(g.macroF1, [0.74, 0.72, 0.70]);
  assert.equal(g.name, "a");
  assert.ok(Math.abs(g.mean - 0.72) < 1e-12);
  // deviations 0.02, 0, -0.02: sum of squares 8e-4 over n-1 = 2 -> sd 0.02
  assert.ok(Math.abs(g.sd - 0.02) < 1e-12);
  assert.ok(Math.abs(g.range - 0.04) < 1e-12);
});
