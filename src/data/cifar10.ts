/**
 * CIFAR-10 loading: decode either source layout once into a compact cache,
 * then load the cache in seconds and split it with a seeded, class-stratified
 * shuffle.
 *
 * Source layouts, looked for under `<dataDir>/cifar10/` in this order (the
 * first found wins; the lossless official release before the JPEG copy):
 * 1. `cifar-10-batches-bin/` - the official binary release, extracted;
 * 2. `cifar-10-binary.tar.gz` - the same, still packed;
 * 3. `cifar10-jpeg.tar.gz` - the mirror's image-folder tarball
 *    (`train/<class>/NNNN.jpg`, `test/<class>/NNNN.jpg`).
 *
 * Binary records (from the dataset page, cs.toronto.edu/~kriz/cifar.html):
 * 1 label byte, then 3072 pixel bytes: the red plane, green plane and blue
 * plane, each 32x32 row-major. They are converted here to NHWC
 * `[n, 32, 32, 3]`, the layout tfjs's `channelsLast` conv layers expect.
 *
 * Cache (`<dataDir>/cifar10/cache/`): `train.x.u8` `[n, 32, 32, 3]` raw
 * 0..255, `train.y.u8` `[n]`, the same for `test`, and `meta.json` (format,
 * source kind and SHA-256, counts per class). Every file is written
 * atomically and `meta.json` last, so a cache with a `meta.json` is complete.
 *
 * @module
 */
import { decode as decodeJpeg } from "jpeg-js";
import { join, relative } from "node:path";

import { readTarFile } from "./tar.ts";
import {
  DataNotFoundError,
  exists,
  hashFiles,
  writeFileAtomic,
} from "./files.ts";
import { Random } from "../util/random.ts";

/** Class names in the official label order 0..9. */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
]);

/** Image height and width in pixels. */
export const CIFAR10_SIZE = 32;
/** Colour channels (RGB). */
export const CIFAR10_CHANNELS = 3;
/** Bytes per image: 32 * 32 * 3. */
export const CIFAR10_IMAGE_BYTES = CIFAR10_SIZE * CIFAR10_SIZE *
  CIFAR10_CHANNELS;

/** Version of the cache layout; a different version is rebuilt. */
export const CIFAR10_CACHE_FORMAT = 1;

/**
 * Fixed seed for the order of the test set, independent of the run's seed,
 * so that every run (and every `limit.test` subset) sees the same test images
 * in the same order, and a class-sorted source still gives a mixed subset.
 */
const TEST_ORDER_SEED = 20090408;

/** Images with labels. */
export interface ImageSet {
  /** Pixels, NHWC `[n, 32, 32, 3]`, raw 0..255. */
  readonly x: Uint8Array;
  /** Labels `[n]`, 0..9 in {@link CIFAR10_CLASSES} order. */
  readonly y: Int32Array;
  /** Number of images. */
  readonly n: number;
}

/** The three splits, plus the source's fingerprint for run identities. */
export interface Cifar10Splits {
  /** Training part of the official training set (default 40,000). */
  readonly train: ImageSet;
  /** Validation part of the official training set (default 10,000). */
  readonly val: ImageSet;
  /** The official test set (10,000), in a fixed seed-independent order. */
  readonly test: ImageSet;
  /** SHA-256 of the source the cache was built from. */
  readonly sourceSha256: string;
  /** Which source layout the cache was built from. */
  readonly sourceKind: Cifar10SourceKind;
}

/** The three source layouts. */
export type Cifar10SourceKind = "binary-dir" | "binary-tar" | "jpeg-tar";

/** A located source. */
export interface Cifar10Source {
  /** Layout of the source. */
  readonly kind: Cifar10SourceKind;
  /** File or folder path. */
  readonly path: string;
}

/** Contents of `cache/meta.json`. */
export interface Cifar10CacheMeta {
  /** {@link CIFAR10_CACHE_FORMAT} at the time of writing. */
  readonly format: number;
  /** Source layout, its path relative to the data folder and SHA-256. */
  readonly source: {
    readonly kind: Cifar10SourceKind;
    readonly path: string;
    readonly sha256: string;
  };
  /** Image counts. */
  readonly counts: { readonly train: number; readonly test: number };
  /** Images per class, in label order. */
  readonly perClass: {
    readonly train: readonly number[];
    readonly test: readonly number[];
  };
}

/** Paths of every CIFAR-10 file under a data folder. */
export function cifar10Paths(dataDir: string): {
  dir: string;
  binaryDir: string;
  binaryTar: string;
  jpegTar: string;
  cacheDir: string;
  meta: string;
} {
  const dir = join(dataDir, "cifar10");
  const cacheDir = join(dir, "cache");
  return {
    dir,
    binaryDir: join(dir, "cifar-10-batches-bin"),
    binaryTar: join(dir, "cifar-10-binary.tar.gz"),
    jpegTar: join(dir, "cifar10-jpeg.tar.gz"),
    cacheDir,
    meta: join(cacheDir, "meta.json"),
  };
}

const BINARY_TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const BINARY_TEST = "test_batch.bin";
const BINARY_RECORD = 1 + CIFAR10_IMAGE_BYTES;

/** The first source layout present under `dataDir`, or `null`. */
export async function findCifar10Source(
  dataDir: string,
): Promise<Cifar10Source | null> {
  const p = cifar10Paths(dataDir);
  if (await exists(join(p.binaryDir, BINARY_TEST))) {
    return { kind: "binary-dir", path: p.binaryDir };
  }
  if (await exists(p.binaryTar)) {
    return { kind: "binary-tar", path: p.binaryTar };
  }
  if (await exists(p.jpegTar)) return { kind: "jpeg-tar", path: p.jpegTar };
  return null;
}

function sourceFiles(source: Cifar10Source): string[] {
  if (source.kind !== "binary-dir") return [source.path];
  return [...BINARY_TRAIN, BINARY_TEST].map((f) => join(source.path, f));
}

/** SHA-256 of a source (for a folder: of its six batch files, in order). */
export function hashCifar10Source(source: Cifar10Source): Promise<string> {
  return hashFiles(sourceFiles(source));
}

/**
 * Decodes the official binary layout: records of 1 label byte followed by
 * the R, G and B planes (each 32x32 row-major), into NHWC.
 *
 * @param bytes one or more whole records.
 * @param label file name for error messages.
 * @returns `x` NHWC `[n, 32, 32, 3]`, `y` `[n]`.
 * @throws {RangeError} if the length is not a multiple of 3073 bytes or a
 *   label byte is above 9.
 */
export function decodeCifar10Binary(
  bytes: Uint8Array,
  label: string,
): ImageSet {
  if (bytes.length % BINARY_RECORD !== 0) {
    throw new RangeError(
      `${label}: ${bytes.length} bytes is not a whole number of ` +
        `${BINARY_RECORD}-byte CIFAR-10 records (1 label + 3072 pixels)`,
    );
  }
  const n = bytes.length / BINARY_RECORD;
  const x = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
  const y = new Int32Array(n);
  const plane = CIFAR10_SIZE * CIFAR10_SIZE;
  for (let i = 0; i < n; i++) {
    const rec = i * BINARY_RECORD;
    const label8 = bytes[rec]!;
    if (label8 >= CIFAR10_CLASSES.length) {
      throw new RangeError(
        `${label}: record ${i} has label ${label8}, expected 0..9`,
      );
    }
    y[i] = label8;
    const src = rec + 1;
    const dst = i * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < plane; p++) {
      const o = dst + p * CIFAR10_CHANNELS;
      x[o] = bytes[src + p]!;
      x[o + 1] = bytes[src + plane + p]!;
      x[o + 2] = bytes[src + 2 * plane + p]!;
    }
  }
  return { x, y, n };
}

/**
 * Decodes one 32x32 JPEG into RGB bytes `[32, 32, 3]` (jpeg-js; grayscale
 * files come back with the gray value repeated in all three channels).
 *
 * @throws {RangeError} if the image is not 32x32.
 */
export function decodeCifar10Jpeg(
  bytes: Uint8Array,
  label: string,
): Uint8Array {
  // `formatAsRGBA: false` makes jpeg-js write 3 channels; `useTArray` returns
  // a Uint8Array instead of a Node Buffer (jpeg-js 0.4.4 lib/decoder.js).
  const img = decodeJpeg(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: false,
  });
  if (img.width !== CIFAR10_SIZE || img.height !== CIFAR10_SIZE) {
    throw new RangeError(
      `${label}: image is ${img.width}x${img.height}, expected 32x32`,
    );
  }
  return img.data;
}

/** Accumulates decoded images before one final copy into a flat array. */
class ImageCollector {
  images: Uint8Array[] = [];
  labels: number[] = [];

  add(x: Uint8Array, y: number): void {
    this.images.push(x);
    this.labels.push(y);
  }

  addSet(set: ImageSet): void {
    for (let i = 0; i < set.n; i++) {
      const at = i * CIFAR10_IMAGE_BYTES;
      this.add(set.x.subarray(at, at + CIFAR10_IMAGE_BYTES), set.y[i]!);
    }
  }

  finish(): ImageSet {
    const n = this.labels.length;
    const x = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
    this.images.forEach((img, i) => x.set(img, i * CIFAR10_IMAGE_BYTES));
    return { x, y: Int32Array.from(this.labels), n };
  }
}

const JPEG_ENTRY = /^(?:\.\/)?(train|test)\/([^/]+)\/[^/]+\.jpe?g$/i;

async function decodeJpegTar(path: string): Promise<Record<Split, ImageSet>> {
  const sets = { train: new ImageCollector(), test: new ImageCollector() };
  for await (const entry of readTarFile(path)) {
    const m = JPEG_ENTRY.exec(entry.name);
    if (!m) continue; // README files and the like
    const label = CIFAR10_CLASSES.indexOf(m[2]!);
    if (label < 0) {
      throw new RangeError(
        `${path}: entry ${entry.name} is in class folder ` +
          `${JSON.stringify(m[2])}, expected one of ${
            CIFAR10_CLASSES.join(", ")
          }`,
      );
    }
    const x = decodeCifar10Jpeg(entry.data, `${path}: ${entry.name}`);
    sets[m[1]!.toLowerCase() as Split].add(x, label);
  }
  return { train: sets.train.finish(), test: sets.test.finish() };
}

async function decodeBinary(
  source: Cifar10Source,
): Promise<Record<Split, ImageSet>> {
  const files = new Map<string, Uint8Array>();
  if (source.kind === "binary-dir") {
    for (const f of [...BINARY_TRAIN, BINARY_TEST]) {
      files.set(f, await Deno.readFile(join(source.path, f)));
    }
  } else {
    for await (const entry of readTarFile(source.path)) {
      const base = entry.name.split("/").pop()!;
      if (base.endsWith(".bin")) files.set(base, entry.data);
    }
  }
  const sets = { train: new ImageCollector(), test: new ImageCollector() };
  for (const f of [...BINARY_TRAIN, BINARY_TEST]) {
    const bytes = files.get(f);
    if (bytes === undefined) {
      throw new DataNotFoundError("CIFAR-10", [`${source.path} (member ${f})`]);
    }
    const split = f === BINARY_TEST ? sets.test : sets.train;
    split.addSet(decodeCifar10Binary(bytes, `${source.path}: ${f}`));
  }
  return { train: sets.train.finish(), test: sets.test.finish() };
}

type Split = "train" | "test";

/**
 * Decodes a source into the official train (50,000) and test (10,000) sets,
 * in source order.
 */
export function decodeCifar10Source(
  source: Cifar10Source,
): Promise<Record<Split, ImageSet>> {
  return source.kind === "jpeg-tar"
    ? decodeJpegTar(source.path)
    : decodeBinary(source);
}

function countPerClass(y: Int32Array): number[] {
  const counts = new Array<number>(CIFAR10_CLASSES.length).fill(0);
  for (const label of y) counts[label] = counts[label]! + 1;
  return counts;
}

async function readMeta(path: string): Promise<Cifar10CacheMeta | null> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(path)) as Cifar10CacheMeta;
    return meta.format === CIFAR10_CACHE_FORMAT ? meta : null;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    if (err instanceof SyntaxError) return null; // unreadable: rebuild
    throw err;
  }
}

/** Result of {@link buildCifar10Cache}. */
export interface CacheBuildResult {
  /** False when the cache already matched the source ("up to date"). */
  readonly built: boolean;
  /** The cache's metadata. */
  readonly meta: Cifar10CacheMeta;
  /** Seconds spent decoding and writing (0 when up to date). */
  readonly seconds: number;
}

/**
 * Decodes the source under `dataDir` into the cache unless the cache was
 * already built from a source with the same SHA-256.
 *
 * @param opts.force rebuild even when up to date.
 * @throws {DataNotFoundError} if no source layout is present.
 */
export async function buildCifar10Cache(
  dataDir: string,
  opts: { force?: boolean } = {},
): Promise<CacheBuildResult> {
  const p = cifar10Paths(dataDir);
  const source = await findCifar10Source(dataDir);
  if (source === null) {
    throw new DataNotFoundError("CIFAR-10", [
      p.binaryDir,
      p.binaryTar,
      p.jpegTar,
    ]);
  }
  const sha256 = await hashCifar10Source(source);
  const old = await readMeta(p.meta);
  if (
    !opts.force && old !== null && old.source.sha256 === sha256 &&
    old.source.kind === source.kind && await cacheFilesComplete(dataDir, old)
  ) {
    return { built: false, meta: old, seconds: 0 };
  }

  const started = performance.now();
  const sets = await decodeCifar10Source(source);
  await Deno.mkdir(p.cacheDir, { recursive: true });
  // meta.json marks a complete cache: remove it first, so a kill while the
  // data files are rewritten leaves no cache rather than a mixed one.
  await Deno.remove(p.meta).catch(() => {});
  for (const split of ["train", "test"] as const) {
    const set = sets[split];
    await writeFileAtomic(join(p.cacheDir, `${split}.x.u8`), set.x);
    await writeFileAtomic(
      join(p.cacheDir, `${split}.y.u8`),
      Uint8Array.from(set.y),
    );
  }
  const meta: Cifar10CacheMeta = {
    format: CIFAR10_CACHE_FORMAT,
    source: { kind: source.kind, path: relative(dataDir, source.path), sha256 },
    counts: { train: sets.train.n, test: sets.test.n },
    perClass: {
      train: countPerClass(sets.train.y),
      test: countPerClass(sets.test.y),
    },
  };
  await writeFileAtomic(p.meta, JSON.stringify(meta, null, 2) + "\n");
  return { built: true, meta, seconds: (performance.now() - started) / 1000 };
}

async function cacheFilesComplete(
  dataDir: string,
  meta: Cifar10CacheMeta,
): Promise<boolean> {
  const { cacheDir } = cifar10Paths(dataDir);
  for (const split of ["train", "test"] as const) {
    const n = meta.counts[split];
    const sizes = [
      [`${split}.x.u8`, n * CIFAR10_IMAGE_BYTES],
      [`${split}.y.u8`, n],
    ] as const;
    for (const [file, size] of sizes) {
      try {
        if ((await Deno.stat(join(cacheDir, file))).size !== size) return false;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    }
  }
  return true;
}

/**
 * Reads the cache as built by {@link buildCifar10Cache}, building it first
 * when it is missing or stale-format and a source is present.
 *
 * @throws {DataNotFoundError} with neither cache nor source.
 * @throws {RangeError} if a cache file's size disagrees with `meta.json`.
 */
export async function readCifar10Cache(
  dataDir: string,
): Promise<{ meta: Cifar10CacheMeta } & Record<Split, ImageSet>> {
  const p = cifar10Paths(dataDir);
  let meta = await readMeta(p.meta);
  if (meta === null || !(await cacheFilesComplete(dataDir, meta))) {
    meta = (await buildCifar10Cache(dataDir)).meta;
  }
  const read = async (split: Split): Promise<ImageSet> => {
    const n = meta.counts[split];
    const xPath = join(p.cacheDir, `${split}.x.u8`);
    const x = await Deno.readFile(xPath);
    const y8 = await Deno.readFile(join(p.cacheDir, `${split}.y.u8`));
    if (x.length !== n * CIFAR10_IMAGE_BYTES || y8.length !== n) {
      throw new RangeError(
        `${p.cacheDir}: ${split} cache holds ${x.length} pixel bytes and ` +
          `${y8.length} labels, meta.json says ${n} images; delete the cache ` +
          "folder and run `deno task setup`",
      );
    }
    return { x, y: Int32Array.from(y8), n };
  };
  return { meta, train: await read("train"), test: await read("test") };
}

/**
 * Copies the images at `indices` (in that order) into a new set.
 *
 * @throws {RangeError} if an index is outside [0, set.n).
 */
export function selectImages(
  set: ImageSet,
  indices: ArrayLike<number>,
): ImageSet {
  const n = indices.length;
  const x = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = indices[i]!;
    if (!Number.isInteger(src) || src < 0 || src >= set.n) {
      throw new RangeError(
        `selectImages: index ${src} at position ${i} is outside [0, ${set.n})`,
      );
    }
    const at = src * CIFAR10_IMAGE_BYTES;
    x.set(
      set.x.subarray(at, at + CIFAR10_IMAGE_BYTES),
      i * CIFAR10_IMAGE_BYTES,
    );
    y[i] = set.y[src]!;
  }
  return { x, y, n };
}

/**
 * Splits `y`'s indices into train and validation parts with the same class
 * proportions: within each class (in label order) the indices are shuffled
 * and the first `round(count * valFraction)` go to validation. Both parts
 * are then shuffled, so neither is sorted by class. Deterministic for a seed.
 *
 * @param y labels `[n]`.
 * @param valFraction in [0, 1).
 * @returns index arrays into `y`, disjoint, together covering `[0, n)`.
 * @throws {RangeError} for a fraction outside [0, 1).
 */
export function stratifiedSplit(
  y: Int32Array,
  valFraction: number,
  seed: number,
): { train: Int32Array; val: Int32Array } {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(
      `stratifiedSplit: valFraction must be in [0, 1), got ${valFraction}`,
    );
  }
  const rng = new Random(seed);
  const byClass = new Map<number, number[]>();
  y.forEach((label, i) => {
    const list = byClass.get(label) ?? [];
    list.push(i);
    byClass.set(label, list);
  });
  const train: number[] = [];
  const val: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = rng.shuffle(byClass.get(label)!);
    const nVal = Math.round(members.length * valFraction);
    val.push(...members.slice(0, nVal));
    train.push(...members.slice(nVal));
  }
  return {
    train: rng.shuffle(Int32Array.from(train)),
    val: rng.shuffle(Int32Array.from(val)),
  };
}

/** Options of {@link loadCifar10}. */
export interface LoadCifar10Options {
  /** The project's data folder (holding `cifar10/`). */
  readonly dataDir: string;
  /** Seed of the train/validation split and its order. */
  readonly seed: number;
  /** Share of the official training set held out; default 0.2. */
  readonly valFraction?: number;
  /** Keep only the first N of each split (smoke tests). */
  readonly limit?: {
    readonly train?: number;
    readonly val?: number;
    readonly test?: number;
  };
}

function checkLimit(limit: LoadCifar10Options["limit"]): void {
  for (const [name, n] of Object.entries(limit ?? {})) {
    if (n !== undefined && !(Number.isInteger(n) && n >= 0)) {
      throw new RangeError(
        `loadCifar10: limit.${name} must be a non-negative integer, got ${n}`,
      );
    }
  }
}

/**
 * Loads CIFAR-10 from the cache (building it once if needed) and splits the
 * official 50,000 training images into train and validation with
 * {@link stratifiedSplit} (default 40,000 / 10,000). The test set is the
 * official 10,000, in a fixed order that does not depend on `seed`.
 *
 * @throws {DataNotFoundError} when neither cache nor source exists.
 * @throws {RangeError} for a bad `valFraction` or `limit`.
 */
export async function loadCifar10(
  opts: LoadCifar10Options,
): Promise<Cifar10Splits> {
  checkLimit(opts.limit);
  const cache = await readCifar10Cache(opts.dataDir);
  const parts = stratifiedSplit(
    cache.train.y,
    opts.valFraction ?? 0.2,
    opts.seed,
  );
  const testOrder = new Random(TEST_ORDER_SEED).shuffle(
    Int32Array.from({ length: cache.test.n }, (_, i) => i),
  );
  const limit = opts.limit ?? {};
  const pick = (set: ImageSet, idx: Int32Array, n: number | undefined) =>
    selectImages(set, n === undefined ? idx : idx.subarray(0, n));
  return {
    train: pick(cache.train, parts.train, limit.train),
    val: pick(cache.train, parts.val, limit.val),
    test: pick(cache.test, testOrder, limit.test),
    sourceSha256: cache.meta.source.sha256,
    sourceKind: cache.meta.source.kind,
  };
}

/**
 * Converts `count` images starting at image `start` to float32 in [0, 1]
 * (pixel / 255), NHWC `[count, 32, 32, 3]`.
 *
 * @param x NHWC `[n, 32, 32, 3]` raw bytes.
 * @param out optional buffer of at least `count * 3072` floats, reused to
 *   avoid allocation per batch; the returned array is a view of it.
 * @throws {RangeError} if the range leaves `x` or `out` is too small.
 */
export function toFloatNHWC(
  x: Uint8Array,
  start: number,
  count: number,
  out?: Float32Array,
): Float32Array {
  const n = x.length / CIFAR10_IMAGE_BYTES;
  if (
    !Number.isInteger(start) || !Number.isInteger(count) || start < 0 ||
    count < 0 || start + count > n
  ) {
    throw new RangeError(
      `toFloatNHWC: images [${start}, ${start + count}) are outside [0, ${n})`,
    );
  }
  const size = count * CIFAR10_IMAGE_BYTES;
  const dst = checkOut(out, size, "toFloatNHWC");
  const offset = start * CIFAR10_IMAGE_BYTES;
  for (let i = 0; i < size; i++) dst[i] = x[offset + i]! / 255;
  return dst;
}

/**
 * Like {@link toFloatNHWC} for the images at `indices`, in that order
 * (a shuffled batch).
 *
 * @returns NHWC `[indices.length, 32, 32, 3]` in [0, 1].
 * @throws {RangeError} if an index is outside the set or `out` is too small.
 */
export function gatherFloatNHWC(
  x: Uint8Array,
  indices: ArrayLike<number>,
  out?: Float32Array,
): Float32Array {
  const n = x.length / CIFAR10_IMAGE_BYTES;
  const dst = checkOut(out, indices.length * CIFAR10_IMAGE_BYTES, "gather");
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]!;
    if (!Number.isInteger(src) || src < 0 || src >= n) {
      throw new RangeError(
        `gatherFloatNHWC: index ${src} at position ${i} is outside [0, ${n})`,
      );
    }
    const from = src * CIFAR10_IMAGE_BYTES;
    const to = i * CIFAR10_IMAGE_BYTES;
    for (let k = 0; k < CIFAR10_IMAGE_BYTES; k++) {
      dst[to + k] = x[from + k]! / 255;
    }
  }
  return dst;
}

function checkOut(
  out: Float32Array | undefined,
  size: number,
  who: string,
): Float32Array {
  if (out === undefined) return new Float32Array(size);
  if (out.length < size) {
    throw new RangeError(
      `${who}: out holds ${out.length} floats, needs ${size}`,
    );
  }
  return out.subarray(0, size);
}
