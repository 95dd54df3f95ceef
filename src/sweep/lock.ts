/**
 * One sweep at a time per run folder: two sweeps that share a run would
 * otherwise train it twice at once and overwrite each other's checkpoints.
 *
 * The lock is a file created exclusively (`createNew`), holding the owner's
 * process id. A lock whose process is gone (a sweep killed with SIGKILL) is
 * stale and taken over; liveness is read from `/proc`, so on systems
 * without it every existing lock counts as held.
 *
 * @module
 */
import { join } from "node:path";

const LOCK = "lock";

function alive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (e) {
    // No /proc at all: cannot tell, so assume the owner is alive.
    return !(e instanceof Deno.errors.NotFound) || !hasProc();
  }
}

function hasProc(): boolean {
  try {
    return Deno.statSync("/proc/self").isDirectory;
  } catch {
    return false;
  }
}

/**
 * Takes the lock of run folder `dir`.
 *
 * @returns a function that releases it, or the owner's pid when another
 *   live process holds it.
 */
export async function lockRun(
  dir: string,
): Promise<{ release: () => Promise<void> } | { heldBy: number }> {
  const path = join(dir, LOCK);
  await Deno.mkdir(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.writeTextFile(path, `${Deno.pid}\n`, { createNew: true });
      return { release: () => Deno.remove(path).catch(() => {}) };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const owner = Number(
      (await Deno.readTextFile(path).catch(() => "")).trim(),
    );
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      return { heldBy: owner };
    }
    await Deno.remove(path).catch(() => {}); // stale: its sweep is gone
  }
  return { heldBy: NaN };
}
