import assert from "node:assert/strict";
import { dense } from "../../src/engine/dense.ts";
import { flatten } from "../../src/engine/flatten.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { assertClose } from "../_util/assert.ts";
import { expectParity } from "./_parity.ts";
import { tfl } from "./_tfjs.ts";

Deno.test("dense x=[1,2] kernel=[2,3] bias by hand", () => {
  // [1, 2] · [[1,0,-1],[2,1,0]] = [5, 2, -1]; + [0.5, 0, 1] = [5.5, 2, 0]
  const y = dense(
    tensor([1, 2], Float32Array.of(1, 2)),
    tensor([2, 3], Float32Array.of(1, 0, -1, 2, 1, 0)),
    tensor([3], Float32Array.of(0.5, 0, 1)),
    "linear",
  );
  assertClose(y.data, [5.5, 2, 0], 0, {
    actualShape: y.shape,
    expectedShape: [1, 3],
  });
});

Deno.test("dense on [2,2,2] applies to the last axis", () => {
  // kernel [[1],[10]]: each row (a, b) -> a + 10 b
  const y = dense(
    tensor([2, 2, 2], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
    tensor([2, 1], Float32Array.of(1, 10)),
    undefined,
    "linear",
  );
  assertClose(y.data, [21, 43, 65, 87], 0, {
    actualShape: y.shape,
    expectedShape: [2, 2, 1],
  });
});

Deno.test("dense rejects an input whose last axis differs from the kernel", () => {
  assert.throws(
    () => dense(tensor([1, 3]), tensor([2, 4]), undefined, "linear"),
    /input \[1, 3\] does not end in 2/,
  );
});

Deno.test("flatten [2,2,2,1] is channels-last row-major", () => {
  const x = tensor([2, 2, 2, 1], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  const y = flatten(x);
  assert.deepEqual(y.shape, [2, 4]);
  assertClose(y.data, [1, 2, 3, 4, 5, 6, 7, 8], 0);
});

for (
  const c of [
    { x: [5, 7], units: 4, useBias: true, activation: "softmax" },
    { x: [4, 3, 6], units: 5, useBias: false, activation: "relu" },
  ] as const
) {
  Deno.test(
    `dense matches tfjs for x=[${c.x}] units=${c.units} bias=${c.useBias} ${c.activation}`,
    async () => {
      const model = tfl.sequential({
        layers: [tfl.layers.dense({
          inputShape: c.x.slice(1),
          units: c.units,
          useBias: c.useBias,
          activation: c.activation,
        })],
      });
      await expectParity(model, [...c.x], 71);
    },
  );
}

Deno.test("flatten + dense softmax match tfjs for x=[4,3,5,2]", async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [3, 5, 2] }),
      tfl.layers.dense({ units: 6, activation: "softmax" }),
    ],
  });
  await expectParity(model, [4, 3, 5, 2], 81);
});
