/**
 * `deno task predict [MODEL_DIR] --image FILE [--image FILE ...]`
 * `deno task predict [MODEL_DIR] --text "sentence" [--text ...]`
 * `deno task predict MODEL_DIR --input BATCH.json --output OUT.json`
 *
 * Runs a saved model with the from-scratch engine only (this file and what
 * it imports never load TensorFlow.js; `tests/compare/predict_test.ts`
 * checks the module graph).
 *
 * - `--image`: PNG or JPEG of any size (see `src/image/`: 8-bit or 16-bit,
 *   non-interlaced PNG; alpha dropped), squeezed to the model's 32x32 by
 *   area averaging (bilinear when enlarging), scaled to [0, 1]; prints the
 *   CIFAR-10 class probabilities. MODEL_DIR defaults to `outputs/best/cnn`.
 * - `--text`: vectorised with the model's `vocabulary.json`; prints the
 *   NusaX sentiment probabilities. MODEL_DIR defaults to
 *   `outputs/best/lstm`.
 * - `--input`/`--output`: a batch as JSON `{"shape": [...], "dtype":
 *   "float32" | "int32", "data": [...]}` (`data` flat or nested, row-major);
 *   writes `{"shape": [...], "data": [...]}` of the model's output.
 *
 * MODEL_DIR may also be a run folder (the model is in its `model/`).
 * Exits 1 on a bad file or model, 2 on bad arguments.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  loadModel,
  type Model,
  predict,
  type Tensor,
} from "../src/engine/mod.ts";
import { imageToInput } from "../src/image/decode.ts";
import { CIFAR10_CLASSES } from "../src/data/cifar10.ts";
import { NUSAX_LABELS } from "../src/data/nusax.ts";
import { TextVectorizer } from "../src/text/vectorize.ts";
import { writeFileAtomic } from "../src/util/atomic.ts";

/** A batch file's problem, naming the file and the field at fault. */
export class BatchFileError extends Error {
  constructor(file: string, field: string, message: string) {
    super(`${file}: ${field ? `field "${field}": ` : ""}${message}`);
    this.name = "BatchFileError";
  }
}

const DTYPES = ["float32", "int32"] as const;

/**
 * Parses a batch file: `{"shape": [...], "dtype": "float32" | "int32",
 * "data": [...]}`, `data` flat or nested, row-major.
 *
 * @param text the file's content.
 * @param file its name, for error messages.
 * @returns the batch as an engine tensor (int32 values travel as floats).
 * @throws {BatchFileError} for invalid JSON, a missing or malformed field,
 *   an unknown dtype, a data length other than the product of the shape,
 *   a non-number value, or a non-integer value with dtype int32.
 */
export function parseBatchJson(text: string, file: string): Tensor {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BatchFileError(
      file,
      "",
      `not valid JSON (${(e as Error).message})`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new BatchFileError(file, "", "expected a JSON object");
  }
  const { shape, dtype, data } = json as Record<string, unknown>;
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    throw new BatchFileError(
      file,
      "shape",
      `expected an array of integers >= 0, got ${JSON.stringify(shape)}`,
    );
  }
  if (!(DTYPES as readonly unknown[]).includes(dtype)) {
    throw new BatchFileError(
      file,
      "dtype",
      `unknown dtype ${JSON.stringify(dtype)}, expected "float32" or "int32"`,
    );
  }
  if (!Array.isArray(data)) {
    throw new BatchFileError(file, "data", "expected an array of numbers");
  }
  const flat = (data as unknown[]).flat(Infinity);
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (flat.length !== size) {
    throw new BatchFileError(
      file,
      "data",
      `holds ${flat.length} values, shape [${shape.join(", ")}] needs ${size}`,
    );
  }
  const values = new Float32Array(size);
  for (const [i, v] of flat.entries()) {
    if (typeof v !== "number" || (dtype === "int32" && !Number.isInteger(v))) {
      throw new BatchFileError(
        file,
        "data",
        `value ${JSON.stringify(v)} at flat index ${i} is not ${
          dtype === "int32" ? "an integer" : "a number"
        }`,
      );
    }
    values[i] = v;
  }
  return { shape: shape as number[], data: values };
}

/** The output file's JSON: `{"shape": [...], "data": [...]}`, flat data. */
export function batchToJson(t: Tensor): string {
  return JSON.stringify({ shape: t.shape, data: Array.from(t.data) }) + "\n";
}

/** Lines listing `probs` (`[classes]`) with names, most likely first. */
export function formatProbabilities(
  probs: ArrayLike<number>,
  names: readonly string[],
): string[] {
  const order = Array.from({ length: probs.length }, (_, i) => i)
    .sort((a, b) => probs[b]! - probs[a]! || a - b);
  const width = Math.max(...order.map((i) => (names[i] ?? `${i}`).length));
  return order.map((i) => {
    const p = probs[i]!;
    const bar = "#".repeat(Math.round(p * 30));
    return `  ${(names[i] ?? `class ${i}`).padEnd(width)}  ${
      p.toFixed(4)
    }  ${bar}`;
  });
}

async function modelDirOf(dir: string): Promise<string> {
  try {
    await Deno.stat(join(dir, "model.json"));
    return dir;
  } catch {
    return join(dir, "model");
  }
}

function classNames(model: Model, candidates: readonly string[]): string[] {
  const last = model.steps[model.steps.length - 1];
  const classes = last?.outputShape[last.outputShape.length - 1];
  return classes === candidates.length ? [...candidates] : [];
}

async function predictImages(model: Model, files: string[]): Promise<void> {
  const [height, width, channels] = model.inputShape;
  if (
    model.inputShape.length !== 3 || channels !== 3 || !height || !width
  ) {
    throw new Error(
      `model "${model.name}" takes input [batch, ${
        model.inputShape.map((d) => d ?? "any").join(", ")
      }], not an RGB image [batch, height, width, 3]`,
    );
  }
  const size = height * width * 3;
  const x = new Float32Array(files.length * size);
  for (const [i, file] of files.entries()) {
    x.set(
      imageToInput(await Deno.readFile(file), file, width, height),
      i * size,
    );
  }
  const y = predict(model, {
    shape: [files.length, height, width, 3],
    data: x,
  });
  printRows(y, files, classNames(model, CIFAR10_CLASSES));
}

async function predictTexts(
  model: Model,
  dir: string,
  texts: string[],
): Promise<void> {
  if (model.inputShape.length !== 1) {
    throw new Error(
      `model "${model.name}" takes input [batch, ${
        model.inputShape.map((d) => d ?? "any").join(", ")
      }], not token ids [batch, time]: --text needs a text model ` +
        `(e.g. outputs/best/lstm); give images as file paths instead`,
    );
  }
  const file = join(dir, "vocabulary.json");
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new Error(
      `${file}: cannot read the vocabulary: ${(e as Error).message}`,
    );
  }
  const vectorizer = TextVectorizer.fromJSON(json, file);
  const length = vectorizer.config.outputSequenceLength;
  const ids = Float32Array.from(vectorizer.encodeBatch(texts));
  const y = predict(model, { shape: [texts.length, length], data: ids });
  printRows(
    y,
    texts.map((t) => JSON.stringify(t)),
    classNames(model, NUSAX_LABELS),
  );
}

function printRows(y: Tensor, labels: string[], names: string[]): void {
  const classes = y.shape[y.shape.length - 1] ?? 0;
  labels.forEach((label, i) => {
    console.log(label);
    const row = y.data.subarray(i * classes, (i + 1) * classes);
    for (const line of formatProbabilities(row, names)) console.log(line);
  });
}

async function predictBatch(
  model: Model,
  input: string,
  output: string,
  batchSize: number,
): Promise<void> {
  const x = parseBatchJson(await Deno.readTextFile(input), input);
  const want = model.inputShape;
  const fits = x.shape.length === want.length + 1 &&
    want.every((d, i) => d === null || d === x.shape[i + 1]);
  if (!fits) {
    throw new BatchFileError(
      input,
      "shape",
      `the model expects [batch, ${want.map((d) => d ?? "any").join(", ")}]` +
        `, got [${x.shape.join(", ")}]`,
    );
  }
  let y: Tensor;
  try {
    y = predict(model, x, { batchSize });
  } catch (e) {
    // The shape fits, so the values do not (e.g. a token id out of range).
    throw new BatchFileError(input, "data", (e as Error).message);
  }
  await writeFileAtomic(output, batchToJson(y));
  console.error(`wrote ${output}: shape [${y.shape.join(", ")}]`);
}

const USAGE = "usage: deno task predict [MODEL_DIR] --image FILE [...]\n" +
  '       deno task predict [MODEL_DIR] --text "sentence" [...]\n' +
  "       deno task predict MODEL_DIR --input BATCH.json --output OUT.json " +
  "[--batch-size N]";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      image: { type: "string", multiple: true },
      text: { type: "string", multiple: true },
      input: { type: "string" },
      output: { type: "string" },
      "batch-size": { type: "string", default: "64" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const images = values.image ?? [];
  const texts = values.text ?? [];
  const batch = values.input !== undefined || values.output !== undefined;
  const modes = [images.length > 0, texts.length > 0, batch].filter(Boolean);
  const batchSize = Number(values["batch-size"]);
  const problem = modes.length !== 1
    ? "give exactly one of --image, --text or --input/--output"
    : positionals.length > 1
    ? `one MODEL_DIR expected, got ${positionals.length}`
    : batch && (!values.input || !values.output)
    ? "--input and --output go together"
    : batch && positionals.length === 0
    ? "MODEL_DIR is required with --input"
    : !(Number.isInteger(batchSize) && batchSize >= 1)
    ? `--batch-size: expected an integer >= 1, got "${values["batch-size"]}"`
    : undefined;
  if (problem) {
    console.error(`error: ${problem}\n${USAGE}`);
    return 2;
  }

  const given = positionals[0] ??
    (images.length ? "outputs/best/cnn" : "outputs/best/lstm");
  const dir = await modelDirOf(given);
  let model: Model;
  try {
    model = await loadModel(dir);
  } catch (e) {
    const hint = e instanceof Deno.errors.NotFound
      ? ` (no model in ${given} or ${given}/model: train one, or pass ` +
        `MODEL_DIR)`
      : "";
    console.error(`error: ${(e as Error).message}${hint}`);
    return 1;
  }
  try {
    if (images.length) await predictImages(model, images);
    else if (texts.length) await predictTexts(model, dir, texts);
    else await predictBatch(model, values.input!, values.output!, batchSize);
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main());
