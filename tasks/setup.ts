/**
 * `deno task setup`: fills `data/` from a local mirror or the official
 * releases and builds the CIFAR-10 cache. See data/README.md.
 *
 * ```
 * deno task setup                  # ../shared/data if present, else download
 * deno task setup --from DIR       # copy from a mirror folder
 * deno task setup --download       # no mirror: fetch the official releases
 * deno task setup --offline        # never download
 * deno task setup --data DIR       # fill another folder than data/
 * ```
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { setupData, SetupError } from "../src/data/setup.ts";

const USAGE = `usage: deno task setup [--from DIR] [--download | --offline]
                       [--data DIR]
  --from DIR    copy from this mirror (default: ../shared/data from the
                project root, when it exists)
  --download    with no mirror, download the official releases
  --offline     never download; fail with instructions if there is no mirror
  --data DIR    folder to fill (default: data/ in the project root)`;

/** Runs the CLI; returns the process exit code. */
async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        from: { type: "string" },
        download: { type: "boolean", default: false },
        offline: { type: "boolean", default: false },
        data: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`setup: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.download && values.offline) {
    console.error(
      `setup: --download and --offline exclude each other\n${USAGE}`,
    );
    return 2;
  }

  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const dataDir = resolve(values.data ?? join(root, "data"));
  const fallback = resolve(root, "..", "shared", "data");
  const started = performance.now();
  const log = (line: string) => {
    const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
    console.log(`[${s}s] ${line}`);
  };
  try {
    const result = await setupData({
      dataDir,
      from: values.from === undefined ? undefined : resolve(values.from),
      fallbackMirror: fallback,
      download: values.download ? true : values.offline ? false : "auto",
      log,
    });
    if (!result.upToDate) {
      log(`done (${result.mode}): ${result.changed.length} file(s) updated`);
    }
    return 0;
  } catch (err) {
    if (err instanceof SetupError) {
      console.error(`setup: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
