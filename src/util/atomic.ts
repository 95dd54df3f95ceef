/**
 * Atomic file writes: write a temporary sibling, then rename over the target,
 * so a killed process never leaves a half-written file that looks complete.
 *
 * @module
 */
import { dirname } from "node:path";

/** A unique temporary name beside `path` (same folder, so rename is atomic). */
export function tempPathFor(path: string): string {
  return `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/**
 * Writes `data` to `path` atomically, creating parent folders. The temporary
 * file is removed if writing fails.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
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
  await Deno.mkdir(dirname(to), { recursive: true });
  const tmp = tempPathFor(to);
  try {
    await Deno.copyFile(from, tmp);
    await Deno.rename(tmp, to);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Writes `value` as pretty JSON (2 spaces, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Reads JSON, or returns `undefined` if the file does not exist. */
export async function readJsonIfExists<T>(
  path: string,
): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`${path}: cannot read JSON: ${(e as Error).message}`);
  }
}

/** True if `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
