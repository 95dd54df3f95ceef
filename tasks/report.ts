/**
 * `deno task report [--outputs DIR]`: copies each family's best run to
 * `outputs/best/` (when its weights are on this machine), regenerates every
 * study's tables and plots, and writes `REPORT.md` with its `figures/`.
 */
import { parseArgs } from "node:util";
import { buildReport } from "../src/report/report.ts";
import { promoteBest } from "../src/report/best.ts";
import { writeFileAtomic } from "../src/util/atomic.ts";
import { createLogger } from "../src/util/log.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    outputs: { type: "string", default: "outputs" },
    report: { type: "string", default: "REPORT.md" },
    figures: { type: "string", default: "figures" },
  },
});
const log = createLogger("report");
const best = await promoteBest(values.outputs!);
for (const [family, id] of Object.entries(best)) {
  log.info(`best ${family}: ${id}`);
}
const text = await buildReport({
  outputs: values.outputs!,
  experiments: "experiments",
  figures: values.figures!,
});
await writeFileAtomic(values.report!, text);
log.info(`wrote ${values.report} and ${values.figures}/`);
