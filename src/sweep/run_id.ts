/**
 * Content-addressed run ids: the same resolved configuration gives the same id
 * in every experiment file, so a shared configuration trains once.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RunConfig } from "./schema.ts";

/**
 * Bumped whenever a change to the training code would change the result of an
 * unchanged configuration, so that old runs are not reused for new code.
 */
export const TRAINER_VERSION = 1;

/** JSON with object keys sorted at every level: a canonical form to hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(",")}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${
      entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
        .join(",")
    }}`;
  }
  return JSON.stringify(value);
}

/**
 * The canonical JSON of a config without its seed: runs of one
 * configuration trained with different seeds share it.
 */
export function configKey(config: { seed: number }): string {
  const { seed: _seed, ...rest } = config;
  return canonicalJson(rest);
}

/** `<family>-<12 hex digits>` from the hash of the resolved config. */
export function runId(config: RunConfig): string {
  const hash = createHash("sha256")
    .update(canonicalJson({ trainer: TRAINER_VERSION, config }))
    .digest("hex");
  return `${config.family}-${hash.slice(0, 12)}`;
}
