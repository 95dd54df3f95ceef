/**
 * Saves and loads a run's end-of-epoch checkpoint: model and optimizer
 * tensors as raw little-endian float32, the loop state and generator state as
 * JSON.
 *
 * Each epoch writes a fresh `epoch-<k>/` folder and only then points
 * `latest.json` at it (an atomic rename), so an interruption at any moment
 * leaves the previous checkpoint intact.
 *
 * @module
 */
import { join } from "node:path";
import type { Checkpoint } from "../train/fit.ts";
import {
  readJsonIfExists,
  writeFileAtomic,
  writeJsonAtomic,
} from "../util/atomic.ts";

interface Manifest {
  epoch: number;
  folder: string;
}

interface StateFile {
  state: Checkpoint["state"];
  rng: unknown;
  weightLengths: number[];
  bestLengths: number[] | null;
  optimizerShapes: number[][];
  accBeta: number[];
}

function concat(arrays: Float32Array[]): Uint8Array {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return new Uint8Array(out.buffer);
}

function split(
  bytes: Uint8Array,
  lengths: number[],
  file: string,
): Float32Array[] {
  const expected = lengths.reduce((s, n) => s + n, 0) * 4;
  if (bytes.byteLength !== expected) {
    throw new Error(
      `${file}: ${bytes.byteLength} bytes, expected ${expected}; the ` +
        `checkpoint is damaged (delete its folder to restart the run)`,
    );
  }
  const all = new Float32Array(bytes.slice().buffer);
  const out: Float32Array[] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(all.slice(at, at + n));
    at += n;
  }
  return out;
}

/** Writes `checkpoint` under `dir` and removes older epochs' folders. */
export async function saveCheckpoint(
  dir: string,
  checkpoint: Checkpoint,
): Promise<void> {
  const folder = `epoch-${checkpoint.state.epoch}`;
  const at = join(dir, folder);
  await Deno.remove(at, { recursive: true }).catch(() => {});
  await writeFileAtomic(join(at, "weights.bin"), concat(checkpoint.weights));
  await writeFileAtomic(
    join(at, "optimizer.bin"),
    concat(checkpoint.optimizer.values),
  );
  if (checkpoint.bestWeights) {
    await writeFileAtomic(join(at, "best.bin"), concat(checkpoint.bestWeights));
  }
  const state: StateFile = {
    state: checkpoint.state,
    rng: checkpoint.rng,
    weightLengths: checkpoint.weights.map((w) => w.length),
    bestLengths: checkpoint.bestWeights?.map((w) => w.length) ?? null,
    optimizerShapes: checkpoint.optimizer.shapes,
    accBeta: checkpoint.optimizer.accBeta,
  };
  await writeJsonAtomic(join(at, "state.json"), state);
  await writeJsonAtomic(
    join(dir, "latest.json"),
    {
      epoch: checkpoint.state.epoch,
      folder,
    } satisfies Manifest,
  );
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory && entry.name !== folder) {
      await Deno.remove(join(dir, entry.name), { recursive: true });
    }
  }
}

/** Loads the latest checkpoint under `dir`, or `undefined` if none. */
export async function loadCheckpoint(
  dir: string,
): Promise<Checkpoint | undefined> {
  const manifest = await readJsonIfExists<Manifest>(join(dir, "latest.json"));
  if (!manifest) return undefined;
  const at = join(dir, manifest.folder);
  const s = await readJsonIfExists<StateFile>(join(at, "state.json"));
  if (!s) {
    throw new Error(`${at}/state.json: missing; delete ${dir} to restart`);
  }
  const read = (name: string) => Deno.readFile(join(at, name));
  const sizes = s.optimizerShapes.map((sh) => sh.reduce((a, b) => a * b, 1));
  return {
    state: s.state,
    rng: s.rng,
    weights: split(
      await read("weights.bin"),
      s.weightLengths,
      `${at}/weights.bin`,
    ),
    bestWeights: s.bestLengths
      ? split(await read("best.bin"), s.bestLengths, `${at}/best.bin`)
      : null,
    optimizer: {
      values: split(await read("optimizer.bin"), sizes, `${at}/optimizer.bin`),
      shapes: s.optimizerShapes,
      accBeta: s.accBeta,
    },
  };
}
