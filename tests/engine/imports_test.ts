import assert from "node:assert/strict";

const ENGINE = new URL("../../src/engine/", import.meta.url);

/** Every engine source file with its text. */
function engineFiles(): { name: string; text: string }[] {
  return [...Deno.readDirSync(ENGINE)]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => ({
      name: e.name,
      text: Deno.readTextFileSync(new URL(e.name, ENGINE)),
    }));
}

Deno.test("src/engine imports nothing from TensorFlow.js", () => {
  const files = engineFiles();
  assert.ok(files.length >= 10, `only ${files.length} engine files found`);
  const offenders = files.filter((f) =>
    /@tensorflow|tfjs-(core|layers|backend)/.test(
      f.text.replace(/^\s*(\*|\/\/).*$/gm, ""),
    )
  );
  assert.deepEqual(offenders.map((f) => f.name), []);
});

Deno.test("only src/engine/fs.ts touches the file system (Deno. or node:fs)", () => {
  const offenders = engineFiles()
    .filter((f) => f.name !== "fs.ts")
    .filter((f) =>
      /\bDeno\.|["']node:fs/.test(f.text.replace(/^\s*(\*|\/\/).*$/gm, ""))
    );
  assert.deepEqual(offenders.map((f) => f.name), []);
});
