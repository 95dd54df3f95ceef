import assert from "node:assert/strict";
import { axisWindow, conv2d } from "../../src/engine/conv2d.ts";
import { dense } from "../../src/engine/dense.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { assertClose } from "../_util/assert.ts";
import { expectParity } from "./_parity.ts";
import { randomTensor, tfl } from "./_tfjs.ts";

// Input 3x3, one channel:      Kernel 2x2 (ones except bottom-right 2):
//   1 2 3                        1 1
//   4 5 6                        1 2
//   7 8 9
const X = tensor([1, 3, 3, 1], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
const K = tensor([2, 2, 1, 1], Float32Array.of(1, 1, 1, 2));

Deno.test("conv2d x=[1,3,3,1] k=[2,2,1,1] valid stride 1 by hand", () => {
  // (1+2+4+2*5)=17, (2+3+5+2*6)=22, (4+5+7+2*8)=32, (5+6+8+2*9)=37; +bias 1
  const y = conv2d(X, K, tensor([1], Float32Array.of(1)), {
    strides: [1, 1],
    padding: "valid",
    activation: "linear",
  });
  assertClose(y.data, [18, 23, 33, 38], 0, {
    actualShape: y.shape,
    expectedShape: [1, 2, 2, 1],
  });
});

Deno.test("conv2d x=[1,3,3,1] k=[2,2,1,1] same stride 1: odd total pad goes bottom/right", () => {
  // out 3x3, total pad (3-1)*1+2-3 = 1 per axis: 0 top/left, 1 bottom/right.
  // Last column sees [3,0;6,0] -> 3+6=9 ... last row [7,8;0,0] -> 15.
  const y = conv2d(X, K, undefined, {
    strides: [1, 1],
    padding: "same",
    activation: "linear",
  });
  assertClose(y.data, [17, 22, 9, 32, 37, 15, 15, 17, 9], 0, {
    actualShape: y.shape,
    expectedShape: [1, 3, 3, 1],
  });
});

Deno.test("conv2d x=[1,3,3,1] k=[2,2,1,1] same stride 2 with relu", () => {
  // out ceil(3/2)=2, total pad (2-1)*2+2-3 = 1: windows start at rows/cols 0, 2.
  // (0,0)=17; (0,2): [3,0;6,0]=9; (2,0): [7,8;0,0]=15; (2,2): [9]=9.
  // With the kernel negated and bias 10, relu keeps only 10-9=1.
  const y = conv2d(X, K, undefined, {
    strides: [2, 2],
    padding: "same",
    activation: "linear",
  });
  assertClose(y.data, [17, 9, 15, 9], 0, {
    actualShape: y.shape,
    expectedShape: [1, 2, 2, 1],
  });
  const neg = tensor([2, 2, 1, 1], K.data.map((v) => -v));
  const r = conv2d(X, neg, tensor([1], Float32Array.of(10)), {
    strides: [2, 2],
    padding: "same",
    activation: "relu",
  });
  // 10-17<0 ->0, 10-9=1, 10-15<0 ->0, 10-9=1
  assertClose(r.data, [0, 1, 0, 1], 0);
});

Deno.test("axisWindow same/valid sizes and leading pad", () => {
  assert.deepEqual(axisWindow(5, 3, 2, "same"), { out: 3, padBefore: 1 });
  assert.deepEqual(axisWindow(4, 3, 2, "same"), { out: 2, padBefore: 0 });
  assert.deepEqual(axisWindow(7, 2, 3, "valid"), { out: 2, padBefore: 0 });
  assert.throws(() => axisWindow(2, 3, 1, "valid"), /window of 3/);
});

Deno.test("conv2d rejects a kernel whose cin differs from the input", () => {
  assert.throws(
    () =>
      conv2d(X, tensor([2, 2, 2, 1]), undefined, {
        strides: [1, 1],
        padding: "valid",
        activation: "linear",
      }),
    /kernel \[2, 2, 2, 1\] expects 2 input channels, input \[1, 3, 3, 1\] has 1/,
  );
});

Deno.test("a 1x1 conv equals a dense layer over channels, x=[2,4,5,3] k=[1,1,3,6]", () => {
  const x = randomTensor([2, 4, 5, 3], 31);
  const k = randomTensor([1, 1, 3, 6], 32);
  const b = randomTensor([6], 33);
  const c = conv2d(x, k, b, {
    strides: [1, 1],
    padding: "same",
    activation: "tanh",
  });
  const d = dense(x, tensor([3, 6], k.data), b, "tanh");
  assertClose(c.data, d.data, 1e-6, {
    actualShape: c.shape,
    expectedShape: d.shape,
  });
});

const CASES: {
  x: number[];
  k: [number, number];
  filters: number;
  strides: [number, number];
  padding: "same" | "valid";
  useBias: boolean;
  activation: string;
}[] = [
  {
    x: [4, 5, 5, 2],
    k: [3, 3],
    filters: 4,
    strides: [2, 2],
    padding: "same",
    useBias: true,
    activation: "relu",
  },
  {
    x: [3, 6, 7, 3],
    k: [3, 2],
    filters: 5,
    strides: [1, 2],
    padding: "valid",
    useBias: false,
    activation: "linear",
  },
  {
    x: [5, 8, 8, 3],
    k: [4, 4],
    filters: 3,
    strides: [3, 3],
    padding: "same",
    useBias: true,
    activation: "elu",
  },
  {
    x: [2, 7, 6, 1],
    k: [2, 3],
    filters: 2,
    strides: [2, 1],
    padding: "valid",
    useBias: true,
    activation: "sigmoid",
  },
];

for (const c of CASES) {
  Deno.test(
    `conv2d matches tfjs for x=[${c.x}] k=[${c.k},${c.x[3]},${c.filters}] ` +
      `stride=${c.strides} ${c.padding} bias=${c.useBias} ${c.activation}`,
    async () => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({
            inputShape: c.x.slice(1),
            filters: c.filters,
            kernelSize: c.k,
            strides: c.strides,
            padding: c.padding,
            useBias: c.useBias,
            // deno-lint-ignore no-explicit-any
            activation: c.activation as any,
          }),
        ],
      });
      await expectParity(model, c.x, 41);
    },
  );
}
