import {
  avgPool2d,
  globalAvgPool1d,
  globalAvgPool2d,
  globalMaxPool1d,
  globalMaxPool2d,
  maxPool2d,
} from "../../src/engine/pooling.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { assertClose } from "../_util/assert.ts";
import { expectParity } from "./_parity.ts";
import { tfl } from "./_tfjs.ts";

// 3x3 single-channel input:
//   1 2 3
//   4 5 6
//   7 8 9
const X = tensor([1, 3, 3, 1], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9));

Deno.test("pool 2x2 stride 2 on [1,3,3,1]: valid drops the last row/col, same keeps it", () => {
  const validMax = maxPool2d(X, {
    poolSize: [2, 2],
    strides: [2, 2],
    padding: "valid",
  });
  assertClose(validMax.data, [5], 0, {
    actualShape: validMax.shape,
    expectedShape: [1, 1, 1, 1],
  });
  // same: out 2x2, total pad (2-1)*2+2-3 = 1 at bottom/right.
  const sameMax = maxPool2d(X, {
    poolSize: [2, 2],
    strides: [2, 2],
    padding: "same",
  });
  assertClose(sameMax.data, [5, 6, 8, 9], 0, {
    actualShape: sameMax.shape,
    expectedShape: [1, 2, 2, 1],
  });
  // avg leaves the padded cells out of the divisor:
  // (1+2+4+5)/4=3, (3+6)/2=4.5, (7+8)/2=7.5, 9/1=9
  const sameAvg = avgPool2d(X, {
    poolSize: [2, 2],
    strides: [2, 2],
    padding: "same",
  });
  assertClose(sameAvg.data, [3, 4.5, 7.5, 9], 1e-7);
});

Deno.test("global pools on [2,3,3,1]", () => {
  const x2 = tensor(
    [2, 3, 3, 1],
    Float32Array.from([...X.data, ...X.data.map((v) => -v)]),
  );
  assertClose(globalAvgPool2d(x2).data, [5, -5], 1e-6);
  assertClose(globalMaxPool2d(x2).data, [9, -1], 0);
});

Deno.test("global 1D pools over time on [2,3,2]", () => {
  // Example 0 steps: (1,-4) (3,-2) (2,-6); example 1: (0.5,7) (-1,8) (-3,9).
  const seq = tensor(
    [2, 3, 2],
    Float32Array.of(1, -4, 3, -2, 2, -6, 0.5, 7, -1, 8, -3, 9),
  );
  const max = globalMaxPool1d(seq);
  assertClose(max.data, [3, -2, 0.5, 9], 0, {
    actualShape: max.shape,
    expectedShape: [2, 2],
  });
  // (1+3+2)/3=2, (-4-2-6)/3=-4, (0.5-1-3)/3=-7/6, (7+8+9)/3=8
  assertClose(globalAvgPool1d(seq).data, [2, -4, -7 / 6, 8], 1e-6);
});

const CASES = [
  {
    kind: "max",
    x: [3, 7, 7, 2],
    pool: [3, 3],
    strides: [2, 2],
    padding: "valid",
  },
  {
    kind: "max",
    x: [3, 7, 5, 2],
    pool: [2, 3],
    strides: null,
    padding: "same",
  },
  {
    kind: "avg",
    x: [3, 7, 7, 2],
    pool: [3, 3],
    strides: [2, 2],
    padding: "same",
  },
  {
    kind: "avg",
    x: [2, 5, 6, 3],
    pool: [2, 2],
    strides: [1, 3],
    padding: "valid",
  },
] as const;

for (const c of CASES) {
  Deno.test(
    `${c.kind} pooling matches tfjs for x=[${c.x}] pool=${c.pool} ` +
      `strides=${c.strides ?? "default"} ${c.padding}`,
    async () => {
      const args = {
        inputShape: c.x.slice(1),
        poolSize: [...c.pool] as [number, number],
        padding: c.padding,
        ...(c.strides ? { strides: [...c.strides] as [number, number] } : {}),
      };
      const layer = c.kind === "max"
        ? tfl.layers.maxPooling2d(args)
        : tfl.layers.averagePooling2d(args);
      await expectParity(tfl.sequential({ layers: [layer] }), [...c.x], 51);
    },
  );
}

for (const kind of ["max", "avg"] as const) {
  Deno.test(`global ${kind} pooling matches tfjs for x=[3,5,4,6]`, async () => {
    const layer = kind === "max"
      ? tfl.layers.globalMaxPooling2d({ inputShape: [5, 4, 6] })
      : tfl.layers.globalAveragePooling2d({ inputShape: [5, 4, 6] });
    await expectParity(tfl.sequential({ layers: [layer] }), [3, 5, 4, 6], 61);
  });
}

for (const kind of ["max", "avg"] as const) {
  Deno.test(`global ${kind} pooling 1D matches tfjs for x=[4,7,5]`, async () => {
    const layer = kind === "max"
      ? tfl.layers.globalMaxPooling1d({ inputShape: [7, 5] })
      : tfl.layers.globalAveragePooling1d({ inputShape: [7, 5] });
    await expectParity(tfl.sequential({ layers: [layer] }), [4, 7, 5], 71);
  });
}
