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

Deno.test("src/engine imports only its own files", () => {
  // A sibling-only rule: the engine can be copied out (or bundled for a
  // browser) on its own, and nothing outside it can bring in TensorFlow.js
  // or the file system by the back door.
  const specifier =
    /(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  const offenders: string[] = [];
  for (const f of engineFiles()) {
    for (const m of f.text.matchAll(specifier)) {
      const target = m[1] ?? m[2]!;
      if (!target.startsWith("./")) offenders.push(`${f.name}: ${target}`);
    }
  }
  assert.deepEqual(offenders, []);
});
