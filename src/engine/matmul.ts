/**
 * Matrix multiply over row-major Float32Arrays, the engine's hot loop.
 *
 * @module
 */

/**
 * `out[m, n] (+)= a[m, k] · b[k, n]`, all row-major.
 *
 * When `accumulate` is false, `out` is overwritten; when true, the product is
 * added to what `out` holds (used to add a bias first, or to sum the input
 * and recurrent projections).
 *
 * TODO(engine): placeholder triple loop; to be replaced by a register-blocked
 * kernel with the same signature.
 */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  m: number,
  k: number,
  n: number,
  accumulate = false,
): void {
  if (!accumulate) out.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const outRow = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[aRow + p]!;
      if (av === 0) continue;
      const bRow = p * n;
      for (let j = 0; j < n; j++) out[outRow + j]! += av * b[bRow + j]!;
    }
  }
}
