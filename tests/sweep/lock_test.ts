import assert from "node:assert/strict";
import { join } from "node:path";
import { lockRun } from "../../src/sweep/lock.ts";

Deno.test("a run folder is locked by one sweep at a time", async () => {
  const dir = await Deno.makeTempDir();
  const first = await lockRun(dir);
  assert.ok("release" in first);
  const second = await lockRun(dir);
  assert.deepEqual(second, { heldBy: Deno.pid });
  await first.release();
  const third = await lockRun(dir);
  assert.ok("release" in third);
  await third.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "a lock left by a dead process is taken over",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir();
    // A process that has exited: its pid no longer appears under /proc.
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    await Deno.writeTextFile(join(dir, "lock"), `${gone.pid}\n`);
    const taken = await lockRun(dir);
    assert.ok("release" in taken);
    assert.equal(
      (await Deno.readTextFile(join(dir, "lock"))).trim(),
      String(Deno.pid),
    );
    await taken.release();
    await Deno.remove(dir, { recursive: true });
  },
});
