import assert from "node:assert/strict";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { crc32 } from "../../src/image/decode_png.ts";
import { imageToInput } from "../../src/image/decode.ts";
import { CIFAR10_CLASSES } from "../../src/data/cifar10.ts";
import { TextVectorizer } from "../../src/text/vectorize.ts";
import { NUSAX_LABELS } from "../../src/data/nusax.ts";
import {
  batchToJson,
  formatProbabilities,
  parseBatchJson,
} from "../../tasks/predict.ts";
import { assertClose } from "../_util/assert.ts";
import {
  saveTinyCnn,
  saveTinyLstm,
  seeded,
  tfjsPredictSaved,
} from "./_models.ts";

/** Runs `tasks/predict.ts` with `args`; returns exit code and output. */
async function runPredict(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/predict.ts", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** An RGB PNG, filter none, one IDAT. */
function rgbPng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const c = new Uint8Array(12 + data.length);
    const v = new DataView(c.buffer);
    v.setUint32(0, data.length);
    c.set(new TextEncoder().encode(type), 4);
    c.set(data, 8);
    v.setUint32(8 + data.length, crc32(c.subarray(4, 8 + data.length)));
    return c;
  };
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    raw.set(
      rgb.subarray(y * 3 * width, (y + 1) * 3 * width),
      y * (1 + 3 * width) + 1,
    );
  }
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

// ---------------------------------------------------------------------------
// Batch JSON.

Deno.test("parseBatchJson: float32 [2,2] flat and nested give the same tensor", () => {
  const flat = parseBatchJson(
    '{"shape":[2,2],"dtype":"float32","data":[1,2.5,3,4]}',
    "a.json",
  );
  const nested = parseBatchJson(
    '{"shape":[2,2],"dtype":"float32","data":[[1,2.5],[3,4]]}',
    "b.json",
  );
  assert.deepEqual(flat.shape, [2, 2]);
  assert.deepEqual([...flat.data], [1, 2.5, 3, 4]);
  assert.deepEqual([...nested.data], [...flat.data]);
});

Deno.test("parseBatchJson: errors name the file and the field", () => {
  const cases: [string, RegExp][] = [
    ["{oops", /^BatchFileError: in\.json: not valid JSON/],
    ["[1,2]", /^BatchFileError: in\.json: expected a JSON object/],
    [
      '{"shape":[2,-1],"dtype":"float32","data":[]}',
      /^BatchFileError: in\.json: field "shape": expected an array of integers >= 0, got \[2,-1\]/,
    ],
    [
      '{"shape":[2],"dtype":"float64","data":[1,2]}',
      /^BatchFileError: in\.json: field "dtype": unknown dtype "float64", expected "float32" or "int32"/,
    ],
    [
      '{"shape":[2],"data":[1,2]}',
      /^BatchFileError: in\.json: field "dtype": unknown dtype undefined/,
    ],
    [
      '{"shape":[2,3],"dtype":"float32","data":[1,2,3,4,5]}',
      /^BatchFileError: in\.json: field "data": holds 5 values, shape \[2, 3\] needs 6/,
    ],
    [
      '{"shape":[2],"dtype":"int32","data":[1,2.5]}',
      /^BatchFileError: in\.json: field "data": value 2\.5 at flat index 1 is not an integer/,
    ],
    [
      '{"shape":[2],"dtype":"float32","data":[1,"x"]}',
      /^BatchFileError: in\.json: field "data": value "x" at flat index 1 is not a number/,
    ],
    [
      '{"shape":[1],"dtype":"float32","data":7}',
      /^BatchFileError: in\.json: field "data": expected an array of numbers/,
    ],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseBatchJson(text, "in.json"), pattern, text);
  }
});

Deno.test("batchToJson: round trips through parseBatchJson exactly (float32 values)", () => {
  const data = Float32Array.from([0.1, -2, 3.25, 1e-7, 5, 6]);
  const text = batchToJson({ shape: [3, 2], data });
  const back = parseBatchJson(
    text.replace("{", '{"dtype":"float32",'),
    "x.json",
  );
  assert.deepEqual(back.shape, [3, 2]);
  assert.deepEqual([...back.data], [...data]);
});

Deno.test("formatProbabilities: most likely first, names padded, ties by index", () => {
  assert.deepEqual(formatProbabilities([0.25, 0.5, 0.25], ["a", "bb", "c"]), [
    "  bb  0.5000  ###############",
    "  a   0.2500  ########",
    "  c   0.2500  ########",
  ]);
});

// ---------------------------------------------------------------------------
// The task as a subprocess.

Deno.test("tasks/predict.ts imports no TensorFlow.js module", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "tasks/predict.ts"],
    stdout: "piped",
  }).output();
  assert.equal(out.code, 0);
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const specifiers: string[] = info.modules.map((m: { specifier: string }) =>
    m.specifier
  );
  assert.ok(specifiers.some((s) => s.endsWith("/src/engine/mod.ts")));
  assert.deepEqual(specifiers.filter((s) => /tensorflow|tfjs/.test(s)), []);
  assert.deepEqual(
    Object.keys(info.npmPackages ?? {}).filter((p) => /tensorflow/.test(p)),
    [],
  );
});

Deno.test("predict --input/--output: tiny CNN batch [3,8,8,3] matches tfjs within 1e-5", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveTinyCnn(join(dir, "model"));
    const x = seeded(3 * 8 * 8 * 3, 21, 0, 1);
    await Deno.writeTextFile(
      join(dir, "in.json"),
      JSON.stringify({ shape: [3, 8, 8, 3], dtype: "float32", data: [...x] }),
    );
    // A run folder works as MODEL_DIR: the model is in its model/.
    const r = await runPredict([
      dir,
      "--input",
      join(dir, "in.json"),
      "--output",
      join(dir, "out.json"),
      "--batch-size",
      "2",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(await Deno.readTextFile(join(dir, "out.json")));
    const expected = await tfjsPredictSaved(join(dir, "model"), x, [
      3,
      8,
      8,
      3,
    ]);
    assertClose(out.data, expected.data, 1e-5, {
      actualShape: out.shape,
      expectedShape: expected.shape,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict --input: length mismatch and wrong input shape exit 1 naming file and field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveTinyCnn(dir);
    const bad = join(dir, "bad.json");
    await Deno.writeTextFile(
      bad,
      '{"shape":[1,8,8,3],"dtype":"float32","data":[1,2,3]}',
    );
    const r1 = await runPredict([
      dir,
      "--input",
      bad,
      "--output",
      join(dir, "o.json"),
    ]);
    assert.equal(r1.code, 1);
    assert.match(
      r1.stderr,
      /bad\.json: field "data": holds 3 values, shape \[1, 8, 8, 3\] needs 192/,
    );

    await Deno.writeTextFile(
      bad,
      '{"shape":[1,4],"dtype":"float32","data":[1,2,3,4]}',
    );
    const r2 = await runPredict([
      dir,
      "--input",
      bad,
      "--output",
      join(dir, "o.json"),
    ]);
    assert.equal(r2.code, 1);
    assert.match(
      r2.stderr,
      /bad\.json: field "shape": the model expects \[batch, 8, 8, 3\], got \[1, 4\]/,
    );
    await assert.rejects(() => Deno.stat(join(dir, "o.json")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict --image: 40x20 PNG through a [32,32,3] CNN prints 10 CIFAR-10 classes, top = engine argmax", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveTinyCnn(dir, 32, 10, 8);
    const rgb = new Uint8Array(40 * 20 * 3);
    rgb.forEach((_, i) => (rgb[i] = (i * 37) % 256));
    const png = rgbPng(40, 20, rgb);
    await Deno.writeFile(join(dir, "img.png"), png);
    const r = await runPredict([dir, "--image", join(dir, "img.png")]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], join(dir, "img.png"));
    assert.equal(lines.length, 11);
    const printed = lines.slice(1).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(
      printed.map((p) => p[0]).sort(),
      [...CIFAR10_CLASSES].sort(),
    );
    // The same preprocessing through tfjs gives the same top class.
    const x = imageToInput(png, "img.png", 32, 32);
    const expected = await tfjsPredictSaved(dir, x, [1, 32, 32, 3]);
    const top = expected.data.indexOf(Math.max(...expected.data));
    assert.equal(printed[0]![0], CIFAR10_CLASSES[top]);
    assert.equal(
      Number(printed[0]![1]),
      Number(expected.data[top]!.toFixed(4)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict --text on an image model exits 1 saying it needs a text model", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveTinyCnn(dir, 32, 10, 8);
    const r = await runPredict([dir, "--text", "bagus sekali"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /takes input \[batch, 32, 32, 3\], not token ids \[batch, time\]: --text needs a text model/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict --text: tiny LSTM with vocabulary.json prints the 3 NusaX labels", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const vectorizer = TextVectorizer.adapt(
      ["saya suka makan", "tidak suka", "makan nasi enak"],
      { maxTokens: 20, outputSequenceLength: 6 },
    );
    await saveTinyLstm(dir, vectorizer.vocabulary.length, 6);
    await Deno.writeTextFile(
      join(dir, "vocabulary.json"),
      JSON.stringify(vectorizer.toJSON()),
    );
    const r = await runPredict([dir, "--text", "Saya suka nasi!"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], '"Saya suka nasi!"');
    const printed = lines.slice(1).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(printed.map((p) => p[0]).sort(), [...NUSAX_LABELS].sort());

    const ids = Float32Array.from(vectorizer.encode("Saya suka nasi!"));
    const expected = await tfjsPredictSaved(dir, ids, [1, 6], "int32");
    for (const [name, p] of printed) {
      const k = (NUSAX_LABELS as readonly string[]).indexOf(name!);
      assert.equal(Number(p), Number(expected.data[k]!.toFixed(4)), name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict: usage errors exit 2; a missing model exits 1 naming the folder", async () => {
  const none = await runPredict([]);
  assert.equal(none.code, 2);
  assert.match(
    none.stderr,
    /give exactly one of --image, --text or --input\/--output/,
  );
  const half = await runPredict(["m", "--input", "x.json"]);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--input and --output go together/);
  const missing = await runPredict(["/nonexistent/m", "--text", "hi"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no model in \/nonexistent\/m/);
});
