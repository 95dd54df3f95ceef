/**
 * The engine in a real browser: runs `tasks/browser_check.ts`, which
 * bundles the engine, loads it in headless Chromium and compares its output
 * with Deno's. Opt-in with `BROWSER_CHECK=1`, since it needs Chromium
 * (`apt-get install chromium`) and a one-time download of esbuild for
 * `deno bundle`, neither of which CI installs; also skipped where the
 * trained models or data are not there.
 */
import assert from "node:assert/strict";
import { compare, readPage } from "../../tasks/browser_check.ts";

function exists(path: string): boolean {
  try {
    Deno.statSync(new URL(`../../${path}`, import.meta.url));
    return true;
  } catch {
    return false;
  }
}

const hasChromium = (() => {
  if (!Deno.env.get("BROWSER_CHECK")) return false;
  try {
    return Deno.statSync("/usr/bin/chromium").isFile;
  } catch {
    return false;
  }
})();
const hasModels = exists("outputs/best/lstm/model/model.json") &&
  exists("outputs/best/cnn/model/model.json") &&
  exists("data/nusax-senti/indonesian/test.csv") &&
  exists("data/cifar10/cache");

async function runCheck(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/browser_check.ts", ...args],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("readPage unescapes the title and <pre id=result> of a dumped DOM", () => {
  const dom = "<html><head><title>error</title></head><body>" +
    '<pre id="result">{"error":"a &lt; b &amp;&amp; c &gt; d"}</pre>' +
    "</body></html>";
  assert.deepEqual(readPage(dom), {
    title: "error",
    result: '{"error":"a < b && c > d"}',
  });
  assert.deepEqual(readPage("<html></html>"), { title: "", result: "" });
});

Deno.test("compare: max abs diff, bit identity, NaN and length mismatch", () => {
  const expected = Float32Array.from([0.1, 2.5, -3]);
  // JSON numbers of float32 values come back exactly through Float32Array.
  assert.deepEqual(compare(Array.from(expected), expected), {
    maxAbsDiff: 0,
    identical: true,
  });
  // |2 - 2.5| = 0.5 is the largest difference.
  assert.deepEqual(compare([expected[0]!, 2, -3], expected), {
    maxAbsDiff: 0.5,
    identical: false,
  });
  // A NaN must not be forgotten when later values differ by less.
  const nan = compare([NaN, 2.5, -3], expected);
  assert.ok(Number.isNaN(nan.maxAbsDiff) && !nan.identical);
  assert.equal(
    compare(Array.from(expected).slice(0, 2), expected).identical,
    false,
  );
});

Deno.test({
  name: "browser_check: best lstm [8, 80] and cnn [8, 32, 32, 3] in headless " +
    "Chromium match Deno",
  ignore: !hasChromium || !hasModels,
  async fn() {
    const { code, stdout, stderr } = await runCheck([]);
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    const pass = stdout.split("\n").filter((l) => l.startsWith("PASS "));
    assert.equal(pass.length, 2, stdout);
    assert.match(pass[0]!, /outputs\/best\/lstm: .*output \[8,3\]/);
    assert.match(pass[1]!, /outputs\/best\/cnn: .*output \[8,10\]/);
    for (const line of pass) assert.match(line, /HeadlessChrome/);
  },
});

Deno.test({
  name: "browser_check: a folder without model.json fails with exit 1",
  ignore: !hasChromium,
  async fn() {
    const empty = await Deno.makeTempDir();
    try {
      const { code, stdout } = await runCheck([empty]);
      assert.equal(code, 1, stdout);
      assert.match(stdout, /^FAIL .*no model\.json here/m);
      assert.match(stdout, /browser check FAILED for 1 of 1/);
    } finally {
      await Deno.remove(empty, { recursive: true });
    }
  },
});
