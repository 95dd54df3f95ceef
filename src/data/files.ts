/**
 * File helpers shared by the data loaders and `deno task setup`: content
 * hashes and the error for a missing data file. Atomic writes live in
 * `src/util/atomic.ts`, re-exported here for the loaders.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
export {
  copyFileAtomic,
  exists,
  tempPathFor,
  writeFileAtomic,
} from "../util/atomic.ts";

/** Hash algorithms a pinned checksum may use. */
export type HashAlgorithm = "sha256" | "md5";

/**
 * Thrown when a data file is absent; the message names the path and tells
 * the user to run `deno task setup`.
 */
export class DataNotFoundError extends Error {
  /**
   * @param what what was being loaded, e.g. "CIFAR-10".
   * @param paths every path that was looked for.
   */
  constructor(what: string, paths: readonly string[]) {
    super(
      `${what}: data not found (looked for ${paths.join(", ")}). ` +
        "Run `deno task setup` from the project root to fill data/ " +
        "(see data/README.md).",
    );
    this.name = "DataNotFoundError";
  }
}

/**
 * Hex digest of the concatenated contents of `paths`, read in order as a
 * stream (large archives are never held in memory).
 */
export async function hashFiles(
  paths: readonly string[],
  algorithm: HashAlgorithm = "sha256",
): Promise<string> {
  const hash = createHash(algorithm);
  for (const path of paths) {
    const stream = createReadStream(path, { highWaterMark: 1 << 20 });
    for await (const chunk of stream) hash.update(chunk as Uint8Array);
  }
  return hash.digest("hex");
}

/** Hex digest of one file's contents. */
export function hashFile(
  path: string,
  algorithm: HashAlgorithm = "sha256",
): Promise<string> {
  return hashFiles([path], algorithm);
}
