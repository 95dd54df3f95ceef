import assert from "node:assert/strict";
import { join } from "node:path";

import { DataNotFoundError } from "../../src/data/files.ts";
import { loadNusax, parseNusaxCsv } from "../../src/data/nusax.ts";

async function writeLanguage(
  dataDir: string,
  language: string,
  files: Record<string, string>,
): Promise<void> {
  const dir = join(dataDir, "nusax-senti", language);
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(dir, name), text);
  }
}

const TRAIN = "id,text,label\n" +
  '7,"enak, murah, dan ""mantap""",positive\n' +
  "8,biasa saja,neutral\r\n" +
  '9,"buruk\nsekali",negative\n';

Deno.test("nusax: 3-row CSV with quoted commas, doubled quotes and a newline in a field", () => {
  const set = parseNusaxCsv(TRAIN, "train.csv");
  assert.equal(set.n, 3);
  assert.deepEqual(set.ids, ["7", "8", "9"]);
  assert.deepEqual(set.texts, [
    'enak, murah, dan "mantap"',
    "biasa saja",
    "buruk\nsekali",
  ]);
  assert.deepEqual([...set.y], [2, 1, 0]);
});

Deno.test("nusax: columns found by header name, in any order", () => {
  const set = parseNusaxCsv("label,id,text\nnegative,1,x\n", "f.csv");
  assert.deepEqual([set.ids, set.texts, [...set.y]], [["1"], ["x"], [0]]);
});

Deno.test("nusax: an unknown label names file, line and value", () => {
  assert.throws(
    () =>
      parseNusaxCsv('id,text,label\n1,"a\nb",neutral\n2,c,Positive\n', "v.csv"),
    /v\.csv:4: unknown label "Positive", expected one of negative, neutral, positive/,
  );
});

Deno.test("nusax load: language folder, limits, missing file and bad language", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const small = "id,text,label\n1,a,neutral\n2,b,negative\n";
    await writeLanguage(dataDir, "javanese", {
      "train.csv": TRAIN,
      "valid.csv": small,
      "test.csv": small,
    });
    const s = await loadNusax({
      dataDir,
      language: "javanese",
      limit: { train: 2, test: 1 },
    });
    assert.deepEqual([s.train.n, s.val.n, s.test.n], [2, 2, 1]);
    assert.deepEqual([...s.train.y], [2, 1]);
    assert.equal(s.language, "javanese");
    assert.match(s.sha256, /^[0-9a-f]{64}$/);

    await assert.rejects(
      loadNusax({ dataDir }),
      (e: unknown) =>
        e instanceof DataNotFoundError &&
        e.message.includes(join(dataDir, "nusax-senti/indonesian/train.csv")) &&
        e.message.includes("deno task setup"),
    );
    await assert.rejects(
      loadNusax({ dataDir, language: "../x" }),
      /language "\.\.\/x" is not a folder name/,
    );
    await assert.rejects(
      loadNusax({ dataDir, language: "javanese", limit: { val: 1.5 } }),
      /limit\.val must be a non-negative integer, got 1\.5/,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

const MIRROR = new URL("../../../shared/data", import.meta.url).pathname;
let mirrorPresent = false;
try {
  mirrorPresent =
    Deno.statSync(join(MIRROR, "nusax-senti/indonesian")).isDirectory;
} catch {
  mirrorPresent = false;
}

Deno.test({
  name:
    "nusax real: indonesian from the mirror has 500/100/400 rows, train labels 192/119/189",
  // CI sets REQUIRE_DATA: there a missing mirror fails instead of skipping.
  ignore: !mirrorPresent && !Deno.env.get("REQUIRE_DATA"),
  async fn() {
    const s = await loadNusax({ dataDir: MIRROR });
    assert.deepEqual([s.train.n, s.val.n, s.test.n], [500, 100, 400]);
    const counts = [0, 0, 0];
    for (const y of s.train.y) counts[y] = counts[y]! + 1;
    assert.deepEqual(counts, [192, 119, 189]);
    assert.ok(s.train.texts.every((t) => t.length > 0));
  },
});
