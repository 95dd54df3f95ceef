import { matmul, matmulNaive } from "../../src/engine/matmul.ts";
import { assertClose } from "../_util/assert.ts";
import { randomData } from "./_tfjs.ts";
import assert from "node:assert/strict";

Deno.test("matmul 2x3 · 3x2 by hand", () => {
  // [[1,2,3],[4,5,6]] · [[7,8],[9,10],[11,12]]
  // row 0: 7+18+33=58, 8+20+36=64; row 1: 28+45+66=139, 32+50+72=154
  const out = new Float32Array(4);
  matmul(
    Float32Array.of(1, 2, 3, 4, 5, 6),
    Float32Array.of(7, 8, 9, 10, 11, 12),
    out,
    2,
    3,
    2,
  );
  assertClose(out, [58, 64, 139, 154], 0);
});

for (
  const [m, k, n] of [
    [1, 1, 1],
    [5, 7, 3],
    [9, 300, 13],
    [4, 257, 8],
    [17, 513, 6],
    [3, 0, 5],
  ] as const
) {
  Deno.test(`matmul blocked equals naive for [${m},${k}]x[${k},${n}]`, () => {
    const a = randomData(m * k, 3);
    const b = randomData(k * n, 4);
    const expected = new Float32Array(m * n);
    const actual = new Float32Array(m * n).fill(99);
    matmulNaive(a, b, expected, m, k, n);
    matmul(a, b, actual, m, k, n);
    assertClose(actual, expected, 1e-4);
  });
}

Deno.test("matmul accumulate=true adds to out for [6,5]x[5,7]", () => {
  const a = randomData(30, 5);
  const b = randomData(35, 6);
  const start = randomData(42, 7);
  const expected = Float32Array.from(start);
  const actual = Float32Array.from(start);
  matmulNaive(a, b, expected, 6, 5, 7, true);
  matmul(a, b, actual, 6, 5, 7, true);
  assertClose(actual, expected, 1e-5);
});

Deno.test("matmul throws on arrays shorter than the shape", () => {
  assert.throws(
    () =>
      matmul(
        new Float32Array(5),
        new Float32Array(6),
        new Float32Array(4),
        2,
        3,
        2,
      ),
    /too short for \[2, 3\] x \[3, 2\]/,
  );
});
