/**
 * File helpers shared by the data loaders and `deno task setup`: content
 * hashes, atomic writes (temp file + rename, so a crash or a second process
 * never leaves a half-written file under the final name) and the error for a
 * missing data file.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

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

/** True if `path` exists (file or folder); false only for "not found". */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
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

/** A unique temporary name beside `path` (same folder, so rename is atomic). */
export function tempPathFor(path: string): string {
  return `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/**
 * Writes `data` to `path` atomically: to a temporary file in the same folder,
 * then renamed over the target. The temporary file is removed on failure.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Copies `from` to `to` atomically (temporary copy, then rename). */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  const tmp = tempPathFor(to);
  try {
    await Deno.copyFile(from, tmp);
    await Deno.rename(tmp, to);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}
