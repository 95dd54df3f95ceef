import assert from "node:assert/strict";
import { buildRecurrent } from "../../src/train/models.ts";
import {
  familyDefaults,
  type RecurrentModelConfig,
} from "../../src/sweep/schema.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { expectParity } from "../engine/_parity.ts";

// Token ids with trailing padding (0), as TextVectorization writes them.
const IDS = tensor(
  [3, 6],
  Float32Array.of(4, 2, 9, 0, 0, 0, 7, 7, 1, 3, 5, 8, 6, 0, 0, 0, 0, 0),
);

function textModel(overrides: Partial<RecurrentModelConfig>) {
  const model: RecurrentModelConfig = {
    ...(familyDefaults("lstm").model as RecurrentModelConfig),
    embeddingDim: 5,
    units: [4],
    ...overrides,
  };
  return buildRecurrent("lstm", model, 10, 6);
}

Deno.test("a pooling head: the LSTM returns sequences, pooling sits before its Dropout", () => {
  const layers = (head: RecurrentModelConfig["head"]) =>
    textModel({ head, maskZero: false }).layers.map((l) =>
      l.getClassName() === "Bidirectional"
        ? `Bidirectional(seq=${(l.outputShape as number[]).length === 3})`
        : l.getClassName()
    );
  assert.deepEqual(layers("global_max"), [
    "Embedding",
    "SpatialDropout1D",
    "Bidirectional(seq=true)",
    "GlobalMaxPooling1D",
    "Dropout",
    "Dense",
  ]);
  assert.deepEqual(layers("global_average").slice(2, 4), [
    "Bidirectional(seq=true)",
    "GlobalAveragePooling1D",
  ]);
  // No head and `last` build the same model as before heads existed.
  assert.deepEqual(layers(undefined), [
    "Embedding",
    "SpatialDropout1D",
    "Bidirectional(seq=false)",
    "Dropout",
    "Dense",
  ]);
  assert.deepEqual(layers("last"), layers(undefined));
});

for (const head of ["global_max", "global_average"] as const) {
  Deno.test(`the engine matches tfjs on the project's 2-layer BiLSTM with head ${head}, ids=[3,6]`, async () => {
    await expectParity(
      textModel({ head, maskZero: false, units: [4, 3] }),
      IDS,
      head === "global_max" ? 301 : 302,
    );
  });
}

Deno.test("behind mask_zero, tfjs pools the padding steps too, and so does the engine, ids=[3,6]", async () => {
  // Not a configuration the sweeps accept (Keras would skip those steps),
  // but a model.json tfjs can produce, so the engine must read it the same.
  await expectParity(
    textModel({ head: "global_max", maskZero: true }),
    IDS,
    303,
  );
});
