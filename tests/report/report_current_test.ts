/**
 * The committed REPORT.md and figures/ must be what `deno task report`
 * makes from the committed runs: regenerate them from a copy of `outputs/`
 * and compare.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildReport } from "../../src/report/report.ts";

/** Copies the run records (not weights or checkpoints) into `to`. */
async function copyRecords(from: string, to: string): Promise<void> {
  for await (const entry of Deno.readDir(from)) {
    if (entry.name === "model" || entry.name === "checkpoint") continue;
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory) {
      await Deno.mkdir(dst, { recursive: true });
      await copyRecords(src, dst);
    } else if (entry.isFile) {
      await Deno.copyFile(src, dst);
    }
  }
}

Deno.test("REPORT.md is up to date with the committed runs", async () => {
  const tmp = await Deno.makeTempDir();
  await Deno.mkdir(join(tmp, "runs"));
  await copyRecords("outputs/runs", join(tmp, "runs"));
  await Deno.copyFile(
    "outputs/environment.json",
    join(tmp, "environment.json"),
  );
  const text = await buildReport({
    outputs: tmp,
    experiments: "experiments",
    figures: join(tmp, "figures"),
  });
  assert.ok(
    text === await Deno.readTextFile("REPORT.md"),
    "REPORT.md differs from what the runs give: run `deno task report`",
  );
  // The figures it links too.
  for await (const entry of Deno.readDir(join(tmp, "figures"))) {
    const made = await Deno.readTextFile(join(tmp, "figures", entry.name));
    let committed = "";
    try {
      committed = await Deno.readTextFile(join("figures", entry.name));
    } catch {
      // missing: reported below
    }
    assert.ok(
      made === committed,
      `figures/${entry.name} differs from what the runs give (or is ` +
        "missing): run `deno task report`",
    );
  }
  await Deno.remove(tmp, { recursive: true });
});
