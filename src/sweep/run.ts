/**
 * Trains one run into its folder, resuming from its checkpoint if one exists.
 *
 * A run folder holds `config.json`, `history.csv` (rewritten every epoch),
 * `model/` (`model.json`, `weights.bin`, and `vocabulary.json` for text),
 * `loss.svg` and, written last, `metrics.json`: a folder with `metrics.json`
 * is finished. A failed run leaves `error.json` beside its partial history.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { initBackend } from "../tfjs/backend.ts";
import { fileSaver } from "../tfjs/io.ts";
import { loadCifar10 } from "../data/cifar10.ts";
import { loadNusax, NUSAX_LABELS } from "../data/nusax.ts";
import { CIFAR10_CLASSES } from "../data/cifar10.ts";
import type { TextVectorizer } from "../text/vectorize.ts";
import { imageSplit, type PreparedData, sequenceSplit } from "../train/data.ts";
import { buildModel } from "../train/models.ts";
import { seedGlobalRandom } from "../train/determinism.ts";
import {
  balancedClassWeights,
  type Checkpoint,
  type EpochRecord,
  evaluate,
  fit,
} from "../train/fit.ts";
import { argmaxRows, classificationReport } from "../train/metrics.ts";
import { lossPlotSvg } from "../report/svg.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import {
  type CnnRunConfig,
  isCnn,
  type RunConfig,
  type TextRunConfig,
} from "./schema.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { historyCsv } from "./history.ts";
import type { Logger } from "../util/log.ts";

/** Where the project keeps set-up data (see `deno task setup`). */
export const DATA_DIR = "data";

export interface Prepared extends PreparedData {
  vectorizer?: TextVectorizer;
}

/** Loads and shapes the data a run trains on. */
export async function prepareData(config: RunConfig): Promise<Prepared> {
  if (isCnn(config)) {
    const c = config as CnnRunConfig;
    const d = await loadCifar10({
      dataDir: DATA_DIR,
      seed: c.data.splitSeed,
      valFraction: c.data.valFraction,
      limit: c.data.limit,
    });
    const shape = [32, 32, 3] as const;
    return {
      train: imageSplit(d.train.x, d.train.y, shape),
      val: imageSplit(d.val.x, d.val.y, shape),
      test: imageSplit(d.test.x, d.test.y, shape),
      classNames: CIFAR10_CLASSES,
    };
  }
  const c = config as TextRunConfig;
  const d = await loadNusax({
    dataDir: DATA_DIR,
    language: c.data.language,
    limit: c.data.limit,
  });
  // Loaded here so that image runs never load the text code.
  const { TextVectorizer } = await import("../text/vectorize.ts");
  const vectorizer = TextVectorizer.adapt(d.train.texts, {
    maxTokens: c.data.maxTokens,
    outputSequenceLength: c.data.sequenceLength,
  });
  const length = c.data.sequenceLength;
  const split = (s: { texts: string[]; y: Int32Array }) =>
    sequenceSplit(vectorizer.encodeBatch(s.texts), s.y, length);
  return {
    train: split(d.train),
    val: split(d.val),
    test: split(d.test),
    classNames: NUSAX_LABELS,
    vectorizer,
  };
}

export interface RunProgress {
  epoch: number;
  epochs: number;
  batch?: number;
  batches?: number;
  record?: EpochRecord;
}

/**
 * Trains the run in `dir` (whose `config.json` the caller wrote) to the end,
 * writing everything listed in the module doc.
 */
export async function trainRun(
  dir: string,
  config: RunConfig,
  log: Logger,
  onProgress: (p: RunProgress) => void = () => {},
): Promise<void> {
  await initBackend("wasm");
  let data: Prepared;
  try {
    data = await prepareData(config);
  } catch (e) {
    await recordFailure(dir, e, 0);
    throw e;
  }
  const { rng, restore } = seedGlobalRandom(config.seed);
  try {
    await trainPrepared(dir, config, data, rng, log, onProgress);
  } finally {
    restore();
  }
}

/**
 * The run's checkpoint, or undefined when there is none or it cannot be
 * read (a damaged or foreign file): then the run restarts from epoch 1,
 * which gives the same result, only later, and the log says so.
 */
async function readableCheckpoint(
  dir: string,
  log: Logger,
): Promise<Checkpoint | undefined> {
  try {
    return await loadCheckpoint(dir);
  } catch (e) {
    log.warn(
      `cannot resume (${(e as Error).message}); restarting the run from ` +
        `epoch 1`,
    );
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return undefined;
  }
}

/** Writes `error.json` for a run that failed after `epochs` epochs. */
async function recordFailure(
  dir: string,
  e: unknown,
  epochs: number,
): Promise<void> {
  await writeJsonAtomic(join(dir, "error.json"), {
    error: (e as Error).name ?? "Error",
    message: (e as Error).message ?? String(e),
    epochsCompleted: epochs,
  });
}

async function trainPrepared(
  dir: string,
  config: RunConfig,
  data: Prepared,
  rng: ReturnType<typeof seedGlobalRandom>["rng"],
  log: Logger,
  onProgress: (p: RunProgress) => void,
): Promise<void> {
  const model = buildModel(config, data.vectorizer?.vocabulary.length ?? 0);
  const checkpointDir = join(dir, "checkpoint");
  const resume = await readableCheckpoint(checkpointDir, log);
  if (resume) log.info(`resuming after epoch ${resume.state.epoch}`);
  const history: EpochRecord[] = [...(resume?.state.history ?? [])];
  const classes = data.classNames.length;
  const epochs = config.training.epochs;
  const started = performance.now();
  let lastBatchReport = 0;
  try {
    const result = await fit(model, data, config.training, {
      rng,
      resume,
      classWeights: config.training.classWeight === "balanced"
        ? balancedClassWeights(data.train.labels, classes)
        : null,
      onBatch: (epoch, batch, batches) => {
        const now = performance.now();
        if (now - lastBatchReport > 2000 || batch === batches) {
          lastBatchReport = now;
          onProgress({ epoch, epochs, batch, batches });
        }
      },
      onEpoch: async (record, checkpoint) => {
        history.push(record);
        await writeFileAtomic(join(dir, "history.csv"), historyCsv(history));
        await saveCheckpoint(checkpointDir, checkpoint);
        onProgress({ epoch: record.epoch, epochs, record });
      },
    });
    const trainSeconds = history.reduce((s, h) => s + h.seconds, 0);
    const test = evaluate(model, data.test);
    const predicted = argmaxRows(test.probs, classes);
    const report = classificationReport(data.test.labels, predicted, classes);
    await model.save(fileSaver(join(dir, "model")));
    if (data.vectorizer) {
      await writeJsonAtomic(
        join(dir, "model", "vocabulary.json"),
        data.vectorizer.toJSON(),
      );
    }
    await writeFileAtomic(
      join(dir, "loss.svg"),
      lossPlotSvg([{
        label: "run",
        train: history.map((h) => h.loss),
        val: history.map((h) => h.val_loss),
      }], `${config.family} ${dir.split("/").pop()}: loss per epoch`),
    );
    await writeJsonAtomic(join(dir, "metrics.json"), {
      test: {
        loss: round(test.loss),
        accuracy: round(report.accuracy),
        macroF1: round(report.macroF1),
        perClass: report.perClass.map((c, i) => ({
          class: data.classNames[i],
          precision: round(c.precision),
          recall: round(c.recall),
          f1: round(c.f1),
          support: c.support,
        })),
        confusion: report.confusion,
      },
      epochsRun: result.state.epoch,
      bestEpoch: result.state.bestEpoch,
      stoppedEarly: result.state.stoppedEarly,
      trainSeconds: Number(trainSeconds.toFixed(1)),
      wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      classes: data.classNames,
    });
    await Deno.remove(checkpointDir, { recursive: true }).catch(() => {});
  } catch (e) {
    await recordFailure(dir, e, history.length);
    throw e;
  } finally {
    model.dispose();
    tf.disposeVariables();
  }
}

function round(x: number): number {
  return Number(x.toFixed(6));
}
