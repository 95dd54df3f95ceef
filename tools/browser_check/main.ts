/**
 * Browser entry of `tasks/browser_check.ts`: fetches a saved model and an
 * input batch over HTTP, runs the from-scratch engine on it and writes the
 * output into `<pre id="result">` as JSON, then sets `document.title` to
 * `"done"` (or `"error"`, with `{error}` in the `<pre>`).
 *
 * Query parameters (all optional): `model` (folder URL holding
 * `model.json` and its shards; default `model/`), `input` (a batch file
 * `{"shape": [...], "data": [...]}`, `data` flat and row-major; default
 * `input.json`), `batchSize` (default 32).
 *
 * Only the engine's public, browser-safe API is imported; `loadModel`
 * (which reads files with Deno) is never called, so the bundle chunk
 * holding `src/engine/fs.ts` is never fetched.
 *
 * @module
 */
import {
  loadModelFromBytes,
  predict,
  type Tensor,
  tensor,
} from "../../src/engine/mod.ts";

/** The two DOM members used, typed here so that `deno check` needs no DOM lib. */
interface PageDocument {
  title: string;
  getElementById(id: string): { textContent: string | null } | null;
}

/** What the page reports: the output tensor and the browser it ran in. */
export interface BrowserResult {
  /** Output shape, e.g. `[batch, classes]`. */
  shape: number[];
  /** Output values, row-major; float32 values are exact as JSON numbers. */
  data: number[];
  /** `navigator.userAgent`, e.g. `... HeadlessChrome/156.0.0.0 ...`. */
  userAgent: string;
}

async function fetchOk(url: URL): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`GET ${url.pathname}: HTTP ${response.status}`);
  }
  return response;
}

/** Shard paths of `model.json`'s `weightsManifest`, in manifest order. */
function shardPaths(modelJson: unknown): string[] {
  const manifest = (modelJson as { weightsManifest?: unknown })
    ?.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new Error("model.json: field 'weightsManifest' must be an array");
  }
  return manifest.flatMap((group: { paths?: unknown }, i) => {
    if (!Array.isArray(group?.paths)) {
      throw new Error(`model.json: weightsManifest[${i}].paths is not a list`);
    }
    return group.paths.map(String);
  });
}

function parseBatch(json: unknown): Tensor {
  const { shape, data } = (json ?? {}) as { shape?: unknown; data?: unknown };
  if (!Array.isArray(shape) || !Array.isArray(data)) {
    throw new Error(
      "input: expected {shape: number[], data: number[]} with flat data",
    );
  }
  return tensor(shape as number[], Float32Array.from(data as number[]));
}

async function run(page: URL): Promise<BrowserResult> {
  const params = page.searchParams;
  const modelBase = new URL(params.get("model") ?? "model/", page);
  const inputUrl = new URL(params.get("input") ?? "input.json", page);
  const batchSize = Number(params.get("batchSize") ?? "32");

  const modelJson: unknown = await (
    await fetchOk(new URL("model.json", modelBase))
  ).json();
  const shards = await Promise.all(
    shardPaths(modelJson).map(async (path) =>
      new Uint8Array(
        await (await fetchOk(new URL(path, modelBase))).arrayBuffer(),
      )
    ),
  );
  const model = loadModelFromBytes(modelJson as object, shards);
  const x = parseBatch(await (await fetchOk(inputUrl)).json());

  const y = predict(model, x, { batchSize });
  // No timing: under --virtual-time-budget, performance.now() stands still.
  return {
    shape: [...y.shape],
    data: Array.from(y.data),
    userAgent: String(
      (globalThis as { navigator?: { userAgent?: unknown } }).navigator
        ?.userAgent,
    ),
  };
}

async function main(): Promise<void> {
  const doc = (globalThis as unknown as { document: PageDocument }).document;
  const out = doc.getElementById("result");
  if (out === null) throw new Error('index.html has no <pre id="result">');
  try {
    out.textContent = JSON.stringify(await run(new URL(location.href)));
    doc.title = "done";
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    out.textContent = JSON.stringify({ error });
    doc.title = "error";
  }
}

await main();
