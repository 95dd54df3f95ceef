/**
 * The software and machine a sweep ran on, recorded once per outputs folder
 * (`outputs/environment.json`) so the report can state it without looking at
 * whatever machine regenerates it.
 *
 * @module
 */
import { join } from "node:path";
import { cpus, totalmem } from "node:os";
import { readJsonIfExists, writeJsonAtomic } from "../util/atomic.ts";

export interface Environment {
  deno: string;
  v8: string;
  typescript: string;
  tfjs: string;
  os: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
}

/** Describes the current process's runtime and machine. */
export async function currentEnvironment(): Promise<Environment> {
  const pkg = JSON.parse(
    await Deno.readTextFile(new URL("../../package.json", import.meta.url)),
  ) as { dependencies: Record<string, string> };
  const cpu = cpus();
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    tfjs: pkg.dependencies["@tensorflow/tfjs"] ?? "unknown",
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpuModel: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** Writes `outputs/environment.json` if it is missing or out of date. */
export async function recordEnvironment(outputs: string): Promise<void> {
  const path = join(outputs, "environment.json");
  const now = await currentEnvironment();
  const saved = await readJsonIfExists<Environment>(path);
  if (JSON.stringify(saved) !== JSON.stringify(now)) {
    await writeJsonAtomic(path, now);
  }
}
