/**
 * `deno run -A tasks/browser_check.ts [MODEL_DIR ...]`
 *
 * Proves that the from-scratch engine (`src/engine/`) runs in a real
 * browser: bundles `tools/browser_check/main.ts` for the browser with
 * `deno bundle --platform browser --code-splitting`, serves the page, the
 * bundle, the model folder and an input batch on 127.0.0.1, loads the page
 * in headless Chromium (`/usr/bin/chromium --dump-dom`), reads the output
 * the page wrote into `<pre id="result">`, and compares it with the same
 * engine run here in Deno on the same inputs.
 *
 * MODEL_DIR (a model folder or a run folder holding `model/`) defaults to
 * `outputs/best/lstm` and `outputs/best/cnn`. Inputs are real test rows: a
 * model with `vocabulary.json` gets the first 8 NusaX test sentences
 * (language from the run's `config.json`, default indonesian); a model
 * taking `[32, 32, 3]` gets the first 8 CIFAR-10 test images.
 *
 * Passes when the page finished, the shapes agree, the largest absolute
 * difference is at most 1e-6 (it is expected to be exactly 0: the same V8
 * arithmetic on the same float32 values), and the browser never fetched
 * the bundle chunk holding `src/engine/fs.ts`. Exits 1 on failure, 2 when
 * Chromium is missing or the arguments are bad.
 *
 * @module
 */
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel, predict, type Tensor } from "../src/engine/mod.ts";
import { loadCifar10, toFloatNHWC } from "../src/data/cifar10.ts";
import { loadNusax } from "../src/data/nusax.ts";
import { TextVectorizer } from "../src/text/vectorize.ts";
import type { BrowserResult } from "../tools/browser_check/main.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PAGE_DIR = join(ROOT, "tools", "browser_check");
const CHROMIUM = "/usr/bin/chromium";
const DEFAULT_MODELS = ["outputs/best/lstm", "outputs/best/cnn"];
const ROWS = 8;
/** Below the row count, so `predict` joins several batches in both runs. */
const BATCH_SIZE = 3;
const TOLERANCE = 1e-6;
const CHROMIUM_TIMEOUT_MS = 180_000;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  // Module scripts need a JavaScript MIME type or the browser refuses them.
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".bin": "application/octet-stream",
};

/** One model's outcome. */
export interface CheckResult {
  modelDir: string;
  ok: boolean;
  /** Largest absolute difference browser vs Deno (NaN if not compared). */
  maxAbsDiff: number;
  /** Whether every output value is bit-identical. */
  identical: boolean;
  message: string;
}

/** Model folder of `dir`: `dir` itself or its `model/`. */
async function modelFolder(dir: string): Promise<string> {
  for (const candidate of [dir, join(dir, "model")]) {
    try {
      await Deno.stat(join(candidate, "model.json"));
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  throw new Error(`${dir}: no model.json here nor in ${join(dir, "model")}`);
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Real test rows for the model in `folder`: token ids `[8, sequenceLength]`
 * for a text model, NHWC `[8, 32, 32, 3]` in [0, 1] for CIFAR-10.
 *
 * @throws Error when the model takes neither input.
 */
async function testInputs(folder: string, inputShape: unknown): Promise<{
  x: Tensor;
  what: string;
}> {
  const dataDir = join(ROOT, "data");
  const vocabularyPath = join(folder, "vocabulary.json");
  if (await exists(vocabularyPath)) {
    const configPath = join(dirname(folder), "config.json");
    const config = (await exists(configPath))
      ? await readJson(configPath) as {
        config?: { data?: { language?: string } };
      }
      : {};
    const language = config.config?.data?.language ?? "indonesian";
    const vectorizer = TextVectorizer.fromJSON(
      await readJson(vocabularyPath),
      vocabularyPath,
    );
    const { test } = await loadNusax({
      dataDir,
      language,
      limit: { test: ROWS },
    });
    const ids = vectorizer.encodeBatch(test.texts);
    return {
      x: {
        shape: [test.n, ids.length / test.n],
        data: Float32Array.from(ids),
      },
      what: `first ${test.n} NusaX ${language} test sentences`,
    };
  }
  if (JSON.stringify(inputShape) === "[32,32,3]") {
    const { test } = await loadCifar10({
      dataDir,
      seed: 42,
      limit: { test: ROWS },
    });
    return {
      x: {
        shape: [test.n, 32, 32, 3],
        data: toFloatNHWC(test.x, 0, test.n),
      },
      what: `first ${test.n} CIFAR-10 test images`,
    };
  }
  throw new Error(
    `${folder}: no vocabulary.json and input shape ` +
      `${JSON.stringify(inputShape)} is not CIFAR-10's [32, 32, 3]`,
  );
}

/**
 * Bundles the page's entry for the browser into `outdir`.
 *
 * @throws Error with deno's output when bundling fails.
 */
async function bundle(outdir: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--code-splitting",
      "--outdir",
      outdir,
      join(PAGE_DIR, "main.ts"),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      "deno bundle failed (it fetches the @esbuild/linux-x64 npm package " +
        "on first use; behind a TLS-intercepting proxy set " +
        "DENO_TLS_CA_STORE=system):\n" + new TextDecoder().decode(out.stderr),
    );
  }
}

/** Files directly inside `dir`, by name (no sub-folders, no traversal). */
async function listFiles(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) names.add(entry.name);
  }
  return names;
}

/**
 * Serves `/` (the page), `/bundle/NAME`, `/model/NAME` and `/input.json`
 * on 127.0.0.1 at a free port; records every path requested.
 */
async function serve(
  bundleDir: string,
  folder: string,
  inputJson: string,
): Promise<{ server: Deno.HttpServer; url: string; requested: string[] }> {
  const bundleFiles = await listFiles(bundleDir);
  const modelFiles = await listFiles(folder);
  const requested: string[] = [];
  const file = async (path: string) =>
    new Response(await Deno.readFile(path), {
      headers: {
        "content-type": CONTENT_TYPES[extname(path)] ??
          "application/octet-stream",
      },
    });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const path = new URL(request.url).pathname;
      requested.push(path);
      const [, top, name = "", ...rest] = path.split("/");
      if (path === "/" || path === "/index.html") {
        return file(join(PAGE_DIR, "index.html"));
      }
      if (path === "/input.json") {
        return new Response(inputJson, {
          headers: { "content-type": CONTENT_TYPES[".json"]! },
        });
      }
      if (top === "bundle" && rest.length === 0 && bundleFiles.has(name)) {
        return file(join(bundleDir, name));
      }
      if (top === "model" && rest.length === 0 && modelFiles.has(name)) {
        return file(join(folder, name));
      }
      return new Response("not found", { status: 404 });
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  return { server, url, requested };
}

/** Runs headless Chromium on `url` and returns the DOM it dumped. */
async function dumpDom(url: string): Promise<string> {
  const profile = await Deno.makeTempDir({ prefix: "browser_check_" });
  try {
    const out = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        // Virtual time stands still while fetches are pending, so the
        // budget only bounds timers; the page uses none.
        "--virtual-time-budget=60000",
        "--dump-dom",
        url,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(CHROMIUM_TIMEOUT_MS),
    }).output();
    const dom = new TextDecoder().decode(out.stdout);
    if (!out.success || dom === "") {
      throw new Error(
        `chromium exited with code ${out.code}:\n` +
          new TextDecoder().decode(out.stderr).slice(-2000),
      );
    }
    return dom;
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}

/** The `<title>` and the text of `<pre id="result">` in a dumped DOM. */
export function readPage(dom: string): { title: string; result: string } {
  const unescape = (s: string) =>
    s.replaceAll("&lt;", "<").replaceAll("&gt;", ">")
      .replaceAll("&quot;", '"').replaceAll("&#39;", "'")
      .replaceAll("&amp;", "&");
  const title = /<title>([^<]*)<\/title>/.exec(dom)?.[1] ?? "";
  const result = /<pre id="result">([^<]*)<\/pre>/.exec(dom)?.[1] ?? "";
  return { title: unescape(title), result: unescape(result) };
}

/** Largest absolute difference and whether all values are bit-identical. */
export function compare(
  actual: ArrayLike<number>,
  expected: Float32Array,
): { maxAbsDiff: number; identical: boolean } {
  // Through float32, as the browser's values were float32 before JSON.
  const a = Float32Array.from(actual);
  let maxAbsDiff = 0;
  let identical = a.length === expected.length;
  for (let i = 0; i < Math.min(a.length, expected.length); i++) {
    const d = Math.abs(a[i]! - expected[i]!);
    // A NaN anywhere sticks, so that the check fails.
    if (!Number.isNaN(maxAbsDiff) && !(d <= maxAbsDiff)) maxAbsDiff = d;
    if (!Object.is(a[i], expected[i])) identical = false;
  }
  return { maxAbsDiff, identical };
}

async function checkModel(
  dir: string,
  bundleDir: string,
): Promise<CheckResult> {
  const fail = (message: string): CheckResult => ({
    modelDir: dir,
    ok: false,
    maxAbsDiff: NaN,
    identical: false,
    message,
  });
  const folder = await modelFolder(dir);
  const model = await loadModel(folder);
  const { x, what } = await testInputs(folder, model.inputShape);
  const expected = predict(model, x, { batchSize: BATCH_SIZE });

  const inputJson = JSON.stringify({
    shape: x.shape,
    data: Array.from(x.data),
  });
  const { server, url, requested } = await serve(bundleDir, folder, inputJson);
  let dom: string;
  try {
    dom = await dumpDom(`${url}?batchSize=${BATCH_SIZE}`);
  } finally {
    await server.shutdown();
  }

  const { title, result } = readPage(dom);
  if (title !== "done") {
    return fail(`page title "${title}", expected "done"; result: ${result}`);
  }
  const got = JSON.parse(result) as BrowserResult;
  if (JSON.stringify(got.shape) !== JSON.stringify(expected.shape)) {
    return fail(
      `browser output shape [${got.shape}] != Deno's [${expected.shape}]`,
    );
  }
  const fsChunks = [...await listFiles(bundleDir)].filter((name) =>
    Deno.readTextFileSync(join(bundleDir, name)).includes("Deno.readFile")
  );
  const fetchedFs = requested.filter((p) =>
    fsChunks.some((name) => p === `/bundle/${name}`)
  );
  if (fetchedFs.length > 0) {
    return fail(`the browser fetched the fs.ts chunk: ${fetchedFs}`);
  }
  const { maxAbsDiff, identical } = compare(got.data, expected.data);
  const browser = /HeadlessChrome\/[\d.]+/.exec(got.userAgent)?.[0] ??
    got.userAgent;
  const detail = `${what}, output [${got.shape}] in ${browser}, ` +
    `max abs diff vs Deno ${maxAbsDiff}` +
    (identical ? " (bit-identical)" : "") +
    `; fs chunk (${fsChunks.join(", ") || "none"}) never fetched`;
  return {
    modelDir: dir,
    ok: maxAbsDiff <= TOLERANCE,
    maxAbsDiff,
    identical,
    message: detail,
  };
}

async function main(args: string[]): Promise<number> {
  if (args.some((a) => a.startsWith("-"))) {
    console.error("usage: deno run -A tasks/browser_check.ts [MODEL_DIR ...]");
    return 2;
  }
  if (!(await exists(CHROMIUM))) {
    console.error(
      `${CHROMIUM} not found: install it with \`apt-get install chromium\``,
    );
    return 2;
  }
  const dirs = args.length > 0
    ? args.map((a) => resolve(a))
    : DEFAULT_MODELS.map((d) => join(ROOT, d));

  const bundleDir = await Deno.makeTempDir({ prefix: "browser_bundle_" });
  let failures = 0;
  try {
    try {
      await bundle(bundleDir);
    } catch (e) {
      console.error(`FAIL ${(e as Error).message}`);
      return 1;
    }
    for (const dir of dirs) {
      let result: CheckResult;
      try {
        result = await checkModel(dir, bundleDir);
      } catch (e) {
        result = {
          modelDir: dir,
          ok: false,
          maxAbsDiff: NaN,
          identical: false,
          message: (e as Error).message,
        };
      }
      if (!result.ok) failures++;
      console.log(
        `${result.ok ? "PASS" : "FAIL"} ${dir}: ${result.message}`,
      );
    }
  } finally {
    await Deno.remove(bundleDir, { recursive: true });
  }
  console.log(
    failures === 0
      ? `browser check passed (${dirs.length} model(s))`
      : `browser check FAILED for ${failures} of ${dirs.length} model(s)`,
  );
  return failures === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
