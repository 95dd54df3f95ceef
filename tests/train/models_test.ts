import assert from "node:assert/strict";
import { buildRecurrent } from "../../src/train/models.ts";
import {
  familyDefaults,
  type RecurrentModelConfig,
} from "../../src/sweep/schema.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { expectParity } from "../engine/_parity.ts";
import { tf } from "../engine/_tfjs.ts";

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

Deno.test("token dropout zeroes whole tokens in training, is saved with its noise shape and is inert for the engine", async () => {
  const model = textModel({ tokenDropout: 0.5, embeddingDropout: 0 });
  const drop = model.layers[1]!;
  assert.equal(drop.getClassName(), "Dropout");
  assert.deepEqual(drop.getConfig().noiseShape, [null, 6, 1]);
  // In training mode every token's 5 embedding values are kept or dropped
  // together (kept ones scaled by 1 / (1 - 0.5)).
  const embed = model.layers[0]!;
  const x = tf.tensor2d([[4, 2, 9, 1, 3, 5]]);
  const e = embed.apply(x) as tf.Tensor;
  const ev = e.arraySync() as number[][][];
  let dropped = 0, kept = 0;
  for (let draw = 0; draw < 5; draw++) {
    const d = drop.apply(e, { training: true }) as tf.Tensor;
    (d.arraySync() as number[][][])[0]!.forEach((step, t) => {
      if (step.every((v) => v === 0)) dropped++;
      else {
        kept++;
        step.forEach((v, c) =>
          assert.ok(Math.abs(v - 2 * ev[0]![t]![c]!) < 1e-6)
        );
      }
    });
  }
  // 30 tokens at rate 0.5: all kept or all dropped has odds 2^-29.
  assert.ok(dropped > 0 && kept > 0, `dropped ${dropped}, kept ${kept}`);
  await expectParity(model, IDS, 304);
});

Deno.test("embeddingL2 puts an L2 penalty on the embedding matrix: l2 * sum(w^2)", () => {
  const model = textModel({ embeddingL2: 0.01 });
  const embed = model.layers[0]!;
  const w = embed.getWeights()[0]!;
  const expected = 0.01 * (w.square().sum().dataSync()[0]!);
  const losses = (model.layers[0] as unknown as {
    losses: (() => import("@tensorflow/tfjs").Scalar)[];
  }).losses;
  assert.equal(losses.length, 1);
  const got = losses[0]!().dataSync()[0]!;
  assert.ok(
    Math.abs(got - expected) < 1e-6 * expected,
    `${got} vs ${expected}`,
  );
  assert.equal(
    (textModel({}).layers[0] as unknown as { losses: unknown[] }).losses.length,
    0,
  );
});
