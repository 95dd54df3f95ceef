/**
 * Worker process of `deno task sweep`: trains the one run whose folder is
 * given (its `config.json` already written), resuming from its checkpoint.
 * Progress goes to stdout as JSON lines for the parent; logs go to stderr.
 *
 * Usage: deno run -A tasks/train_run.ts outputs/runs/<id>
 */
import { join } from "node:path";
import { trainRun } from "../src/sweep/run.ts";
import type { RunConfig } from "../src/sweep/schema.ts";
import { createLogger } from "../src/util/log.ts";

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
  await trainRun(dir, config, log, (p) => {
    Deno.stdout.writeSync(encoder.encode(JSON.stringify(p) + "\n"));
  });
} catch (e) {
  log.warn(`run failed: ${(e as Error).stack ?? e}`);
  Deno.exit(1);
}
