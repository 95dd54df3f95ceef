import assert from "node:assert/strict";
import { ModelFormatError } from "../../src/engine/format.ts";
import { buildModel } from "../../src/engine/model.ts";
import { saveToMemory, tfl } from "./_tfjs.ts";

// Saved JSON is edited freely here to produce each broken file.
// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

async function saved(): Promise<{ json: Json; bytes: Uint8Array }> {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  return await saveToMemory(model);
}

function layers(json: Json): Json[] {
  return json.modelTopology.config.layers;
}

function expectError(
  fn: () => unknown,
  pattern: RegExp,
  where: { file?: string; layer?: string } = {},
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `not a ModelFormatError: ${e}`);
    assert.match(e.message, pattern);
    if (where.file) assert.equal(e.file, where.file);
    if (where.layer) assert.equal(e.layer, where.layer);
    return true;
  });
}

Deno.test("loader: truncated and oversized weight data give both byte counts", async () => {
  const { json, bytes } = await saved();
  // conv 2*2*2*3 + 3, dense 27*2 + 2: (24 + 3 + 54 + 2) * 4 = 332 bytes
  expectError(
    () => buildModel(json, [bytes.subarray(0, 328)]),
    /truncated: the manifest needs 332 bytes, the shards hold 328/,
    { file: "weights.bin" },
  );
  const longer = new Uint8Array(336);
  longer.set(bytes);
  expectError(
    () => buildModel(json, [longer]),
    /oversized: the manifest needs 332 bytes, the shards hold 336/,
  );
});

Deno.test("loader: a weight shape that does not fit the layer names both shapes", async () => {
  const { json, bytes } = await saved();
  const dense = layers(json)[2]!;
  dense.config.units = 3; // kernel [27, 2] saved, [27, 3] needed
  expectError(
    () => buildModel(json, [bytes]),
    /weight kernel \(".*"\) has shape \[27, 2\], the layer needs \[27, 3\]/,
    { layer: dense.config.name },
  );
});

Deno.test("loader: quantized or non-float32 weights are refused", async () => {
  const { json, bytes } = await saved();
  const q = structuredClone(json);
  q.weightsManifest[0].weights[0].quantization = {
    dtype: "uint8",
    scale: 1,
    min: 0,
  };
  expectError(() => buildModel(q, [bytes]), /is quantized .* only float32/);
  const d = structuredClone(json);
  d.weightsManifest[0].weights[1].dtype = "int32";
  expectError(
    () => buildModel(d, [bytes]),
    /has dtype "int32", expected float32/,
  );
});

Deno.test("loader: unsupported class and options name the layer and option", async () => {
  const { json, bytes } = await saved();
  const c = structuredClone(json);
  layers(c)[1]!.class_name = "Reshape";
  expectError(
    () => buildModel(c, [bytes]),
    /\(Reshape\) unsupported layer class/,
    { layer: layers(c)[1]!.config.name },
  );
  for (
    const [key, value, pattern] of [
      ["dilation_rate", [2, 2], /unsupported option dilation_rate=\[2,2\]/],
      [
        "data_format",
        "channels_first",
        /unsupported option data_format="channels_first"/,
      ],
      ["padding", "causal", /unsupported padding "causal"/],
      ["activation", "leaky", /unsupported activation "leaky"/],
    ] as const
  ) {
    const j = structuredClone(json);
    layers(j)[0]!.config[key] = value;
    expectError(() => buildModel(j, [bytes]), pattern, {
      layer: layers(j)[0]!.config.name,
    });
  }
  const missing = structuredClone(json);
  delete layers(missing)[0]!.config.use_bias;
  expectError(
    () => buildModel(missing, [bytes]),
    /option "use_bias" is missing/,
  );
});

Deno.test("loader: optimizer entries are skipped by their byte size", async () => {
  const { json, bytes } = await saved();
  const j = structuredClone(json);
  j.weightsManifest[0].weights.push({
    name: "iter",
    shape: [],
    dtype: "int32",
    group: "optimizer",
  });
  const more = new Uint8Array(bytes.length + 4);
  more.set(bytes);
  assert.equal(buildModel(j, [more]).steps.length, 3);
});

Deno.test("loader: a functional graph that is not a chain is refused", async () => {
  const input = tfl.input({ shape: [3] });
  const a = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
  const b = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
  const { json, bytes } = await saveToMemory(
    tfl.model({ inputs: input, outputs: sum }),
  );
  expectError(() => buildModel(json, [bytes]), /not a chain/);
});

Deno.test("loader: wrong shard count and non-layers-model format", async () => {
  const { json, bytes } = await saved();
  expectError(
    () => buildModel(json, [bytes, bytes]),
    /lists 1 shard\(s\) \(weights.bin\), got 2/,
  );
  expectError(
    () => buildModel({ ...json, format: "graph-model" }, [bytes]),
    /format is "graph-model"/,
  );
  expectError(() => buildModel("{not json", [bytes]), /not valid JSON/, {
    file: "model.json",
  });
});
