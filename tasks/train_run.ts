/**
 * Worker process of `deno task sweep`: trains the one run whose folder is
 * given (its `config.json` already written), resuming from its checkpoint,
 * then records the from-scratch engine's parity with TensorFlow.js on the
 * run's full test set in its `metrics.json`. A run already trained only gets
 * its parity measured. Progress goes to stdout as JSON lines for the parent;
 * logs go to stderr.
 *
 * Usage: deno run -A tasks/train_run.ts outputs/runs/<id>
 */
import { join } from "node:path";
import { trainRun } from "../src/sweep/run.ts";
import type { RunConfig } from "../src/sweep/schema.ts";
import { createLogger } from "../src/util/log.ts";
import { exists, readJsonIfExists } from "../src/util/atomic.ts";
import { recordParity } from "../src/compare/parity.ts";
import { PARITY_MISMATCH_EXIT } from "../src/sweep/sweep.ts";

const dir = Deno.args[0];
if (!dir) {
  console.error("usage: train_run.ts RUN_DIR");
  Deno.exit(2);
}
const { config } = JSON.parse(
  await Deno.readTextFile(join(dir, "config.json")),
) as { config: RunConfig };
const log = createLogger(dir.split("/").pop());
const encoder = new TextEncoder();
try {
  if (!(await exists(join(dir, "metrics.json")))) {
    await trainRun(dir, config, log, (p) => {
      Deno.stdout.writeSync(encoder.encode(JSON.stringify(p) + "\n"));
    });
  }
  const metrics = await readJsonIfExists<{ parity?: unknown }>(
    join(dir, "metrics.json"),
  );
  if (!metrics?.parity) {
    const report = await recordParity(dir);
    const summary = `engine parity: agreement ${
      (report.agreement * 100).toFixed(2)
    }%, max abs diff ${report.maxAbsDiff.toExponential(2)}`;
    if (report.ok) log.info(summary);
    else {
      log.warn(
        `${summary}; first diverging layer: ` +
          (report.divergence?.firstDiverging?.layer ?? "none over tolerance"),
      );
      // The run itself is fine and recorded; the sweep reports the engine.
      Deno.exit(PARITY_MISMATCH_EXIT);
    }
  }
} catch (e) {
  log.warn(`run failed: ${(e as Error).stack ?? e}`);
  Deno.exit(1);
}
