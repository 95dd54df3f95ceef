/**
 * Plans and trains the runs of one or more experiment files.
 *
 * Runs are content-addressed (`run_id.ts`): a run already finished in
 * `outputs/runs/<id>/` is reused; an unfinished one resumes from its last
 * checkpoint. Runs train in `jobs` worker processes at once (one wasm process
 * uses one core). A failed run is recorded in its folder and the sweep goes
 * on; the caller exits non-zero when any failed.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Experiment } from "./experiment.ts";
import { runId } from "./run_id.ts";
import type { RunConfig } from "./schema.ts";
import { exists, readJsonIfExists, writeJsonAtomic } from "../util/atomic.ts";
import type { Logger } from "../util/log.ts";
import type { RunProgress } from "./run.ts";
import { lockRun } from "./lock.ts";

export interface UniqueRun {
  id: string;
  config: RunConfig;
  /** Experiments and labels that asked for it. */
  uses: { experiment: string; label: string }[];
}

/** Deduplicates the runs of several experiments by run id, keeping order. */
export function planRuns(experiments: readonly Experiment[]): UniqueRun[] {
  const byId = new Map<string, UniqueRun>();
  for (const exp of experiments) {
    for (const run of exp.runs) {
      const id = runId(run.config);
      const entry = byId.get(id) ?? { id, config: run.config, uses: [] };
      entry.uses.push({ experiment: exp.name, label: run.label });
      byId.set(id, entry);
    }
  }
  return [...byId.values()];
}

export type RunStatus =
  | "done"
  | "needs-parity"
  | "partial"
  | "failed"
  | "new";

/**
 * Where a run stands on disk. A trained run whose `metrics.json` lacks the
 * engine's parity (interrupted after training) is `needs-parity`.
 */
export async function runStatus(dir: string): Promise<RunStatus> {
  const metrics = await readJsonIfExists<{ parity?: unknown }>(
    join(dir, "metrics.json"),
  );
  if (metrics) return metrics.parity ? "done" : "needs-parity";
  // A run can fail after some epochs: it then has both an error and a
  // checkpoint, and a retry resumes from the checkpoint.
  if (await exists(join(dir, "error.json"))) return "failed";
  if (await exists(join(dir, "checkpoint", "latest.json"))) return "partial";
  return "new";
}

export interface SweepOptions {
  outputs: string;
  jobs: number;
  log: Logger;
}

export interface SweepResult {
  trained: string[];
  reused: string[];
  failed: { id: string; message: string }[];
  /** Runs that trained but whose engine parity check failed. */
  parityFailed: { id: string; message: string }[];
  /** Runs another live sweep was training. */
  skipped: { id: string; message: string }[];
}

const WORKER = fileURLToPath(
  new URL("../../tasks/train_run.ts", import.meta.url),
);

// Deno colours its error output; strip the escapes from recorded messages.
const ANSI_COLOR = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`;
}

/** Exit code of a worker whose run trained but whose engine parity failed. */
export const PARITY_MISMATCH_EXIT = 3;

type WorkerOutcome =
  | { ok: true }
  | { ok: false; parity: boolean; message: string };

async function runWorker(
  dir: string,
  tag: string,
  log: Logger,
): Promise<WorkerOutcome> {
  // Earlier attempts' lines stay in log.txt; read this attempt's only.
  const logOffset = (await Deno.stat(join(dir, "log.txt")).catch(() => null))
    ?.size ?? 0;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--max-old-space-size=8192", WORKER, dir],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const started = performance.now();
  const logFile = await Deno.open(join(dir, "log.txt"), {
    create: true,
    append: true,
  });
  const stderrDone = child.stderr.pipeTo(logFile.writable);
  const decoder = new TextDecoder();
  let buffered = "";
  let firstEpoch: number | null = null;
  for await (const chunk of child.stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let p: RunProgress;
      try {
        p = JSON.parse(line);
      } catch {
        continue;
      }
      firstEpoch ??= p.epoch - (p.record ? 1 : 0) - 1;
      const done =
        (p.record ? p.epoch : p.epoch - 1 + (p.batch ?? 0) / (p.batches ?? 1)) -
        Math.max(0, firstEpoch);
      const elapsed = (performance.now() - started) / 1000;
      const eta = done > 0
        ? (elapsed / done) * (p.epochs - Math.max(0, firstEpoch) - done)
        : NaN;
      const r = p.record;
      log.info(
        `${tag} epoch ${p.epoch}/${p.epochs}` +
          (r
            ? ` loss ${r.loss.toFixed(4)} val_loss ${r.val_loss.toFixed(4)} ` +
              `acc ${r.accuracy.toFixed(3)} val_acc ${
                r.val_accuracy.toFixed(3)
              }`
            : ` batch ${p.batch}/${p.batches}`) +
          ` ETA ${formatEta(eta)}`,
      );
    }
  }
  const status = await child.status;
  await stderrDone.catch(() => {});
  if (status.success) return { ok: true };
  const logBytes = await Deno.readFile(join(dir, "log.txt"));
  const logText = new TextDecoder().decode(logBytes.subarray(logOffset));
  if (status.code === PARITY_MISMATCH_EXIT) {
    const line = logText.split("\n").find((l) => l.includes("engine parity"));
    return {
      ok: false,
      parity: true,
      message: line?.replace(ANSI_COLOR, "").trim() ?? "engine parity failed",
    };
  }
  const err = await readJsonIfExists<{ message: string }>(
    join(dir, "error.json"),
  );
  if (err) return { ok: false, parity: false, message: err.message };
  // Deno prints a native backtrace after an uncaught error: keep the error.
  const lines = logText.trim().split("\n");
  const first = lines.findIndex((l) => /error|failed/i.test(l));
  const tail = (first >= 0 ? lines.slice(first, first + 3) : lines.slice(-3))
    .map((l) => l.replace(ANSI_COLOR, "").trim()).join(" | ");
  const message = `worker exited with code ${status.code}: ${tail}`;
  await writeJsonAtomic(join(dir, "error.json"), {
    error: "WorkerExit",
    message,
  });
  return { ok: false, parity: false, message };
}

/** Trains every run not yet finished, `jobs` at a time. */
export async function sweep(
  runs: readonly UniqueRun[],
  opts: SweepOptions,
): Promise<SweepResult> {
  const result: SweepResult = {
    trained: [],
    reused: [],
    failed: [],
    parityFailed: [],
    skipped: [],
  };
  const todo: UniqueRun[] = [];
  for (const run of runs) {
    const dir = join(opts.outputs, "runs", run.id);
    const status = await runStatus(dir);
    const weightsGone = status === "needs-parity" &&
      !(await exists(join(dir, "model", "model.json")));
    if (status === "done" || weightsGone) {
      // A clone keeps weights only for the best models: a run trained
      // elsewhere without its parity recorded cannot be measured here.
      if (weightsGone) {
        opts.log.warn(`${run.id}: no weights here to measure parity`);
      }
      result.reused.push(run.id);
      continue;
    }
    if (status === "failed") {
      opts.log.info(`${run.id}: retrying after an earlier failure`);
    }
    await Deno.remove(join(dir, "error.json")).catch(() => {});
    await writeJsonAtomic(join(dir, "config.json"), {
      id: run.id,
      config: run.config,
    });
    todo.push(run);
  }
  opts.log.info(
    `${runs.length} runs: ${result.reused.length} already finished, ` +
      `${todo.length} to train (or to measure parity of) with ` +
      `${opts.jobs} job(s)`,
  );
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const i = next++;
      const run = todo[i]!;
      const dir = join(opts.outputs, "runs", run.id);
      const tag = `[${i + 1}/${todo.length}] ${run.id} (${run.uses[0]!.label})`;
      const lock = await lockRun(dir);
      if ("heldBy" in lock) {
        const message = `another sweep (process ${lock.heldBy}) is ` +
          `training this run; left to it`;
        opts.log.warn(`${tag} skipped: ${message}`);
        result.skipped.push({ id: run.id, message });
        continue;
      }
      opts.log.info(`${tag} starting`);
      let outcome: WorkerOutcome;
      try {
        outcome = await runWorker(dir, tag, opts.log);
      } finally {
        await lock.release();
      }
      if (!outcome.ok && outcome.parity) {
        // Trained and recorded, but the engine disagrees with TensorFlow.js:
        // an engine bug to report, not a run to retrain.
        opts.log.warn(`${tag} ENGINE PARITY FAILED: ${outcome.message}`);
        result.parityFailed.push({ id: run.id, message: outcome.message });
      } else if (!outcome.ok) {
        opts.log.warn(`${tag} FAILED: ${outcome.message}`);
        result.failed.push({ id: run.id, message: outcome.message });
      } else {
        opts.log.info(`${tag} finished`);
        result.trained.push(run.id);
      }
    }
  };
  await Promise.all(
    Array.from(
      { length: Math.max(1, Math.min(opts.jobs, todo.length)) },
      worker,
    ),
  );
  return result;
}
