/**
 * `deno task sweep experiments/<name>.yaml [...more files] [--jobs N]
 *  [--dry-run] [--outputs DIR]`
 *
 * Validates every file first, then trains each variation not yet finished
 * (shared configurations once), resuming interrupted runs, and writes each
 * experiment's tables, loss overlay and conclusions under
 * `outputs/experiments/<name>/`. Exits 1 if any run failed, 2 on bad input.
 */
import { parseArgs } from "node:util";
import { availableParallelism } from "node:os";
import { type Experiment, loadExperiment } from "../src/sweep/experiment.ts";
import { planRuns, runStatus, sweep } from "../src/sweep/sweep.ts";
import { writeExperimentReport } from "../src/report/tables.ts";
import { ConfigError } from "../src/sweep/validate.ts";
import { canonicalJson } from "../src/sweep/run_id.ts";
import { createLogger } from "../src/util/log.ts";
import { recordEnvironment } from "../src/report/environment.ts";
import { join } from "node:path";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    jobs: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    outputs: { type: "string", default: "outputs" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help || positionals.length === 0) {
  console.log(
    "usage: deno task sweep EXPERIMENT.yaml [...] [--jobs N] [--dry-run] " +
      "[--outputs DIR]",
  );
  Deno.exit(values.help ? 0 : 2);
}

const jobs = values.jobs === undefined
  ? availableParallelism()
  : Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error(`--jobs: expected a positive integer, got "${values.jobs}"`);
  Deno.exit(2);
}

const log = createLogger("sweep");
const experiments: Experiment[] = [];
try {
  for (const file of positionals) experiments.push(await loadExperiment(file));
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
  throw e;
}

const runs = planRuns(experiments);
if (values["dry-run"]) {
  for (const exp of experiments) {
    console.log(`# ${exp.name} (${exp.file}): ${exp.description}`);
  }
  for (const run of runs) {
    const status = await runStatus(join(values.outputs!, "runs", run.id));
    const uses = run.uses.map((u) => `${u.experiment}: ${u.label}`).join("; ");
    console.log(`${run.id} [${status}] ${uses}`);
    console.log(`  ${canonicalJson(run.config)}`);
  }
  console.log(`${runs.length} runs`);
  Deno.exit(0);
}

await recordEnvironment(values.outputs!);
const result = await sweep(runs, { outputs: values.outputs!, jobs, log });
for (const exp of experiments) {
  await writeExperimentReport(exp, values.outputs!);
  log.info(`wrote ${join(values.outputs!, "experiments", exp.name)}/`);
}
log.info(
  `summary: ${result.trained.length} trained, ${result.reused.length} reused, ` +
    `${result.failed.length} failed, ${result.parityFailed.length} with ` +
    `engine parity failures`,
);
for (const f of result.failed) log.warn(`failed ${f.id}: ${f.message}`);
for (const f of result.skipped) log.warn(`skipped ${f.id}: ${f.message}`);
for (const f of result.parityFailed) {
  log.warn(`engine parity failed ${f.id}: ${f.message}`);
}
const incomplete = result.failed.length + result.parityFailed.length +
  result.skipped.length;
Deno.exit(incomplete ? 1 : 0);
