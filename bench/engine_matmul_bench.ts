/**
 * Naive triple loop vs the blocked kernel on the shape of a CIFAR conv layer
 * after im2col: 256 output pixels x (3·3·128 = 1152) patch values x 128
 * filters. Run with `deno bench -A bench/engine_matmul_bench.ts`.
 *
 * @module
 */
import { matmul, matmulNaive } from "../src/engine/matmul.ts";

const M = 256;
const K = 1152;
const N = 128;

function filled(length: number, seed: number): Float32Array {
  const data = new Float32Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648 - 0.5;
  }
  return data;
}

const a = filled(M * K, 1);
const b = filled(K * N, 2);
const out = new Float32Array(M * N);

Deno.bench({
  name: `matmul naive ${M}x${K}x${N}`,
  group: "matmul",
  baseline: true,
  fn: () => matmulNaive(a, b, out, M, K, N),
});

Deno.bench({
  name: `matmul blocked ${M}x${K}x${N}`,
  group: "matmul",
  fn: () => matmul(a, b, out, M, K, N),
});
