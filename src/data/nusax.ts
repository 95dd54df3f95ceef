/**
 * NusaX-Senti loading (Winata et al., 2023; CC BY-SA 4.0): three-class
 * sentiment, `<dataDir>/nusax-senti/<language>/{train,valid,test}.csv` with
 * columns `id,text,label`. Rows keep their file order; no shuffling here.
 *
 * @module
 */
import { join } from "node:path";

import { parseCsvTable } from "./csv.ts";
import { DataNotFoundError, exists, hashFiles } from "./files.ts";

/** Label names; a label's index is its class id. */
export const NUSAX_LABELS = ["negative", "neutral", "positive"] as const;

/** Languages of NusaX-Senti, as named by its folders. */
export const NUSAX_LANGUAGES: readonly string[] = Object.freeze([
  "acehnese",
  "balinese",
  "banjarese",
  "buginese",
  "english",
  "indonesian",
  "javanese",
  "madurese",
  "minangkabau",
  "ngaju",
  "sundanese",
  "toba_batak",
]);

/** The split files, in the order train, validation, test. */
export const NUSAX_FILES = ["train.csv", "valid.csv", "test.csv"] as const;

/** Texts with labels. */
export interface TextSet {
  /** The `id` column, as written. */
  readonly ids: string[];
  /** The `text` column, unmodified. */
  readonly texts: string[];
  /** Labels `[n]`: 0 negative, 1 neutral, 2 positive. */
  readonly y: Int32Array;
  /** Number of rows. */
  readonly n: number;
}

/** The three splits of one language. */
export interface NusaxSplits {
  /** From `train.csv` (indonesian: 500 rows). */
  readonly train: TextSet;
  /** From `valid.csv` (indonesian: 100 rows). */
  readonly val: TextSet;
  /** From `test.csv` (indonesian: 400 rows). */
  readonly test: TextSet;
  /** Language folder read. */
  readonly language: string;
  /** SHA-256 of the three files concatenated (train, valid, test). */
  readonly sha256: string;
}

/** Options of {@link loadNusax}. */
export interface LoadNusaxOptions {
  /** The project's data folder (holding `nusax-senti/`). */
  readonly dataDir: string;
  /** Language folder; default `indonesian`. */
  readonly language?: string;
  /** Keep only the first N rows of each split (smoke tests). */
  readonly limit?: {
    readonly train?: number;
    readonly val?: number;
    readonly test?: number;
  };
}

/**
 * Parses one NusaX CSV file's text.
 *
 * @param source file name for error messages.
 * @throws {RangeError} naming file, line and value for an unknown label.
 * @throws {CsvError} for malformed CSV or missing columns.
 */
export function parseNusaxCsv(text: string, source: string): TextSet {
  const table = parseCsvTable(text, source, ["id", "text", "label"]);
  const col = (name: string) => table.header.indexOf(name);
  const [idCol, textCol, labelCol] = [col("id"), col("text"), col("label")];
  const ids: string[] = [];
  const texts: string[] = [];
  const y = new Int32Array(table.rows.length);
  table.rows.forEach((row, i) => {
    const label = row.fields[labelCol]!;
    const k = (NUSAX_LABELS as readonly string[]).indexOf(label);
    if (k < 0) {
      throw new RangeError(
        `${source}:${row.line}: unknown label ${JSON.stringify(label)}, ` +
          `expected one of ${NUSAX_LABELS.join(", ")}`,
      );
    }
    ids.push(row.fields[idCol]!);
    texts.push(row.fields[textCol]!);
    y[i] = k;
  });
  return { ids, texts, y, n: ids.length };
}

function firstN(set: TextSet, n: number | undefined, name: string): TextSet {
  if (n === undefined) return set;
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `loadNusax: limit.${name} must be a non-negative integer, got ${n}`,
    );
  }
  if (n >= set.n) return set;
  return {
    ids: set.ids.slice(0, n),
    texts: set.texts.slice(0, n),
    y: set.y.slice(0, n),
    n,
  };
}

/**
 * Loads the train, validation and test files of one NusaX-Senti language.
 *
 * @throws {RangeError} for a language name that is not a plain folder name,
 *   an unknown label (naming file, line and value) or a bad limit.
 * @throws {DataNotFoundError} when a file is missing (names the path and
 *   says to run `deno task setup`).
 */
export async function loadNusax(opts: LoadNusaxOptions): Promise<NusaxSplits> {
  const language = opts.language ?? "indonesian";
  if (!/^[a-z_]+$/.test(language)) {
    throw new RangeError(
      `loadNusax: language ${JSON.stringify(language)} is not a folder name ` +
        `(expected one of ${NUSAX_LANGUAGES.join(", ")})`,
    );
  }
  const dir = join(opts.dataDir, "nusax-senti", language);
  const paths = NUSAX_FILES.map((f) => join(dir, f));
  for (const path of paths) {
    if (!(await exists(path))) {
      throw new DataNotFoundError(`NusaX-Senti (${language})`, [path]);
    }
  }
  const [train, val, test] = await Promise.all(
    paths.map(async (p) => parseNusaxCsv(await Deno.readTextFile(p), p)),
  );
  const limit = opts.limit ?? {};
  return {
    train: firstN(train!, limit.train, "train"),
    val: firstN(val!, limit.val, "val"),
    test: firstN(test!, limit.test, "test"),
    language,
    sha256: await hashFiles(paths),
  };
}
