import assert from "node:assert/strict";
import { parseExperiment } from "../../src/sweep/experiment.ts";
import { ConfigError } from "../../src/sweep/validate.ts";
import { canonicalJson, configKey, runId } from "../../src/sweep/run_id.ts";
import { planRuns } from "../../src/sweep/sweep.ts";

const FILE = "experiments/test.yaml";

function errorOf(text: string): ConfigError {
  try {
    parseExperiment(text, FILE);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("a variation overrides base, which overrides the family defaults", () => {
  const exp = parseExperiment(
    `
description: filters
family: cnn
base:
  training: { epochs: 3 }
variations:
  - label: small
    set: { model.filters: [8, 16], model.kernelSizes: [3, 5] }
  - set: { model.pooling: average }
`,
    FILE,
  );
  assert.equal(exp.name, "test");
  assert.deepEqual(exp.families, ["cnn"]);
  assert.equal(exp.runs.length, 2);
  const [a, b] = exp.runs;
  assert.equal(a!.label, "small");
  assert.deepEqual(a!.config.model, {
    filters: [8, 16],
    kernelSizes: [3, 5],
    padding: "valid",
    pooling: "max",
    head: "flatten",
    dense: [128],
    dropout: 0.3,
  });
  assert.equal(a!.config.training.epochs, 3);
  assert.equal(a!.config.training.batchSize, 32);
  // An unlabelled variation is named after what it sets.
  assert.equal(b!.label, 'model.pooling="average"');
  assert.deepEqual(b!.varied, { "model.pooling": "average" });
});

Deno.test("one file may train several families", () => {
  const exp = parseExperiment(
    `
base: { training: { epochs: 1 } }
variations:
  - { family: cnn, set: {} }
  - { family: lstm, set: { model.units: [4] } }
`,
    FILE,
  );
  assert.deepEqual(exp.families, ["cnn", "lstm"]);
  assert.equal(exp.runs[1]!.config.family, "lstm");
  assert.deepEqual((exp.runs[1]!.config.model as { units: number[] }).units, [
    4,
  ]);
});

Deno.test("an unknown key names the file and the field path", () => {
  const e = errorOf(`
family: cnn
base:
  model: { filterz: [1] }
variations: [{ set: {} }]
`);
  assert.equal(e.file, FILE);
  assert.equal(e.path, "base.model.filterz");
  assert.match(e.message, /experiments\/test\.yaml: base\.model\.filterz/);
  assert.match(e.message, /no such key/);
});

Deno.test("a wrong type says what was expected and what came", () => {
  const e = errorOf(`
family: rnn
variations:
  - set: { training.epochs: "ten" }
`);
  assert.equal(e.path, 'variations[0].set["training.epochs"]');
  assert.match(e.message, /expected an integer >= 1, got "ten"/);
});

Deno.test("a variation path that is not a config field is rejected", () => {
  const e = errorOf(`
family: lstm
variations:
  - set: { model.cells: 3 }
`);
  assert.equal(e.path, 'variations[0].set["model.cells"]');
  assert.match(e.message, /dotted path/);
});

Deno.test("a network whose feature map shrinks to nothing is rejected", () => {
  const e = errorOf(`
family: cnn
variations:
  - set: { model.filters: [8, 8, 8, 8], model.kernelSizes: [5, 5, 5, 5] }
`);
  assert.equal(e.path, "variations[0].model.kernelSizes[2]");
  assert.match(e.message, /conv layer 3 gets 5x5, kernel 5/);
});

Deno.test("kernel sizes must match the conv layer count", () => {
  const e = errorOf(`
family: cnn
variations:
  - set: { model.filters: [8, 8] }
`);
  assert.equal(e.path, "variations[0].model.kernelSizes");
});

Deno.test("malformed YAML and a missing family are config errors", () => {
  // The parser's whole message is kept, so its line and column show.
  assert.match(
    errorOf("family: cnn\nvariations:\n  - set: {}\n - bad: 1\n").message,
    /expected valid YAML, got .*at line 4, column 1/s,
  );
  const e = errorOf("variations: [{ set: {} }]\n");
  assert.equal(e.path, "variations[0].family");
  assert.match(
    errorOf("family: cnn\nvariations: []\n").message,
    /variations: expected a list of at least one variation, got \[\]/,
  );
});

Deno.test("run ids hash the resolved config, not how it was written", () => {
  const a = parseExperiment(
    `family: cnn
variations: [{ label: x, set: { model.pooling: max } }]`,
    "a.yaml",
  );
  const b = parseExperiment(
    `family: cnn
base: { model: { pooling: max } }
variations: [{ label: y, set: {} }]`,
    "b.yaml",
  );
  const c = parseExperiment(
    `family: cnn
variations: [{ set: { seed: 7 } }]`,
    "c.yaml",
  );
  const idA = runId(a.runs[0]!.config);
  assert.match(idA, /^cnn-[0-9a-f]{12}$/);
  assert.equal(idA, runId(b.runs[0]!.config));
  assert.notEqual(idA, runId(c.runs[0]!.config));
  const planned = planRuns([a, b, c]);
  assert.equal(planned.length, 2);
  assert.deepEqual(planned[0]!.uses, [
    { experiment: "a", label: "x" },
    { experiment: "b", label: "y" },
  ]);
});

Deno.test("canonical JSON sorts keys at every level", () => {
  assert.equal(
    canonicalJson({ b: [{ d: 1, c: 2 }], a: null }),
    '{"a":null,"b":[{"c":2,"d":1}]}',
  );
});

Deno.test("configKey: the canonical config without its seed", () => {
  const exp = parseExperiment(
    `family: lstm
variations:
  - { label: a, set: { seed: 1 } }
  - { label: b, set: { seed: 2 } }
  - { label: c, set: { seed: 2, model.units: [32] } }
`,
    FILE,
  );
  const [a, b, c] = exp.runs.map((r) => r.config);
  assert.equal(configKey(a!), configKey(b!));
  assert.notEqual(configKey(b!), configKey(c!));
  const { seed: _seed, ...rest } = a!;
  assert.equal(configKey(a!), canonicalJson(rest));
});

Deno.test("every committed experiment file is valid", async () => {
  for await (const entry of Deno.readDir("experiments")) {
    if (!entry.name.endsWith(".yaml")) continue;
    const text = await Deno.readTextFile(`experiments/${entry.name}`);
    const exp = parseExperiment(text, `experiments/${entry.name}`);
    assert.ok(exp.runs.length >= 1, entry.name);
  }
});

Deno.test("two variations may not share a label", () => {
  const e = errorOf(`
family: cnn
variations:
  - { label: a, set: { model.pooling: max } }
  - { label: a, set: { model.pooling: average } }
`);
  assert.equal(e.path, "variations[1].label");
  assert.match(e.message, /a label not used before \(variations\[0\] has it\)/);
});

Deno.test("an absurd L2 factor is refused before training", () => {
  const e = errorOf(`
family: lstm
variations:
  - set: { model.l2: 1.0e37 }
`);
  assert.match(e.message, /expected a number >= 0 and <= 1, got 1e\+37/);
});

Deno.test("a pooling head needs maskZero false; an explicit last head is the default run", () => {
  const e = errorOf(`
family: lstm
variations:
  - set: { model.head: global_max }
`);
  assert.equal(e.path, "variations[0].model.head");
  assert.match(e.message, /model\.maskZero: false/);
  const exp = parseExperiment(
    `family: lstm
variations:
  - { label: default, set: {} }
  - { label: last, set: { model.head: last } }
  - { label: max, set: { model.head: global_max, model.maskZero: false } }
`,
    FILE,
  );
  const [plain, last, max] = exp.runs.map((r) => r.config);
  assert.equal(runId(last!), runId(plain!));
  assert.equal("head" in last!.model, false);
  assert.equal((max!.model as { head?: string }).head, "global_max");
  assert.notEqual(runId(max!), runId(plain!));
});

Deno.test("a numeric YAML label is taken as text", () => {
  const exp = parseExperiment(
    `family: lstm
variations:
  - { label: 32, set: { model.embeddingDim: 32 } }
  - { label: 0.5, set: { model.dropout: 0.5 } }
`,
    FILE,
  );
  assert.deepEqual(exp.runs.map((r) => r.label), ["32", "0.5"]);
});

Deno.test("tokenDropout 0 written out is the default run; a rate above 0.95 is refused", () => {
  const exp = parseExperiment(
    `family: lstm
variations:
  - { label: default, set: {} }
  - { label: zero, set: { model.tokenDropout: 0 } }
  - { label: some, set: { model.tokenDropout: 0.2 } }
`,
    FILE,
  );
  const [plain, zero, some] = exp.runs.map((r) => runId(r.config));
  assert.equal(zero, plain);
  assert.notEqual(some, plain);
  const e = errorOf(`
family: lstm
variations:
  - set: { model.tokenDropout: 1 }
`);
  assert.equal(e.path, 'variations[0].set["model.tokenDropout"]');
});

Deno.test("image augmentation is refused for text models before training", () => {
  const e = errorOf(`
family: lstm
variations:
  - set: { training.augment: { horizontalFlip: true } }
`);
  assert.equal(e.path, 'variations[0].set["training.augment"]');
  assert.match(e.message, /expected a dotted path to a configuration field/);
});

Deno.test("a mapping set at a dotted path merges into the defaults there", () => {
  const exp = parseExperiment(
    `family: lstm
variations:
  - { label: a, set: { training.earlyStopping: { monitor: val_accuracy } } }
  - { label: b, set: { model: { head: global_max, maskZero: false } } }
  - { label: c, set: { training.earlyStopping: null } }
`,
    FILE,
  );
  const [a, b, c] = exp.runs.map((r) => r.config);
  assert.deepEqual(a!.training.earlyStopping, {
    patience: 6,
    minDelta: 0,
    monitor: "val_accuracy",
  });
  assert.equal((b!.model as { embeddingDim: number }).embeddingDim, 128);
  assert.equal((b!.model as { head?: string }).head, "global_max");
  assert.equal(c!.training.earlyStopping, null);
});

Deno.test("defaults written out train no second run: flips off, monitor val_loss", () => {
  const exp = parseExperiment(
    `family: cnn
variations:
  - { label: plain, set: {} }
  - { label: flips off, set: { training.augment.horizontalFlip: false } }
  - { label: val loss, set: { training.earlyStopping.monitor: val_loss } }
`,
    FILE,
  );
  const ids = exp.runs.map((r) => runId(r.config));
  assert.deepEqual(ids, [ids[0], ids[0], ids[0]]);
});

Deno.test("a missing experiment file is reported with the system's whole message", async () => {
  const { loadExperiment } = await import("../../src/sweep/experiment.ts");
  await assert.rejects(
    () => loadExperiment("experiments/no-such-study.yaml"),
    (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /^experiments\/no-such-study\.yaml: \(top level\): expected a readable YAML file, got .*no-such-study\.yaml/,
      );
      return true;
    },
  );
});
