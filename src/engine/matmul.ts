/**
 * Matrix multiply over row-major Float32Arrays, the engine's hot loop.
 *
 * `matmul` packs `b` into column panels four wide, so the inner loop reads
 * both operands sequentially, and computes 4x4 tiles of `out` with sixteen
 * accumulators held in locals (registers, once V8 optimises the loop). The
 * `k` axis is cut into blocks so a panel slice stays in the L1 cache while
 * every row block of `a` streams past it.
 *
 * @module
 */

/** Width of a packed column panel of `b` (and of a micro-tile of `out`). */
const PANEL = 4;
/** Depth of one `k` block: 256 rows x 4 columns x 4 bytes = 4 KiB of `b`. */
const K_BLOCK = 256;

/**
 * `out[m, n] (+)= a[m, k] · b[k, n]`, all row-major.
 *
 * When `accumulate` is false, `out` is overwritten; when true, the product is
 * added to what `out` holds (used to add a bias first, or to sum the input
 * and recurrent projections).
 *
 * @param a left operand `[m, k]`.
 * @param b right operand `[k, n]`.
 * @param out result `[m, n]`; must not alias `a` or `b`.
 * @throws {RangeError} if an array is shorter than its shape needs.
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
  checkSizes(a, b, out, m, k, n);
  if (!accumulate) out.fill(0, 0, m * n);
  if (m === 0 || n === 0 || k === 0) return;

  const panels = Math.ceil(n / PANEL);
  const packed = new Float32Array(panels * PANEL * K_BLOCK);
  for (let k0 = 0; k0 < k; k0 += K_BLOCK) {
    const kc = Math.min(K_BLOCK, k - k0);
    packPanels(b, packed, k0, kc, n);
    for (let panel = 0; panel < panels; panel++) {
      const j0 = panel * PANEL;
      const cols = Math.min(PANEL, n - j0);
      const pOff = panel * PANEL * kc;
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        tile4x4(a, packed, out, i, k0, kc, k, n, j0, cols, pOff);
      }
      for (; i < m; i++) {
        tile1x4(a, packed, out, i, k0, kc, k, n, j0, cols, pOff);
      }
    }
  }
}

/**
 * The reference triple loop, kept for tests and the benchmark: same contract
 * as {@link matmul}, `out[m, n] (+)= a[m, k] · b[k, n]`.
 */
export function matmulNaive(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  m: number,
  k: number,
  n: number,
  accumulate = false,
): void {
  checkSizes(a, b, out, m, k, n);
  if (!accumulate) out.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      for (let j = 0; j < n; j++) out[i * n + j]! += av * b[p * n + j]!;
    }
  }
}

function checkSizes(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  m: number,
  k: number,
  n: number,
): void {
  if (a.length < m * k || b.length < k * n || out.length < m * n) {
    throw new RangeError(
      `matmul: arrays of length a=${a.length}, b=${b.length}, ` +
        `out=${out.length} are too short for [${m}, ${k}] x [${k}, ${n}]`,
    );
  }
}

/**
 * Copies rows `k0 .. k0 + kc` of `b` into panels: panel `q` holds columns
 * `4q .. 4q + 3` as `kc` consecutive groups of four, zero-filled past `n`.
 */
function packPanels(
  b: Float32Array,
  packed: Float32Array,
  k0: number,
  kc: number,
  n: number,
): void {
  const panels = Math.ceil(n / PANEL);
  for (let panel = 0; panel < panels; panel++) {
    const j0 = panel * PANEL;
    const cols = Math.min(PANEL, n - j0);
    let dst = panel * PANEL * kc;
    for (let p = 0; p < kc; p++) {
      const src = (k0 + p) * n + j0;
      for (let c = 0; c < PANEL; c++) {
        packed[dst + c] = c < cols ? b[src + c]! : 0;
      }
      dst += PANEL;
    }
  }
}

/** Adds a 4-row by `cols`-column tile of `a · b` into `out`. */
function tile4x4(
  a: Float32Array,
  packed: Float32Array,
  out: Float32Array,
  i: number,
  k0: number,
  kc: number,
  k: number,
  n: number,
  j0: number,
  cols: number,
  pOff: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let a0 = i * k + k0;
  let a1 = a0 + k;
  let a2 = a1 + k;
  let a3 = a2 + k;
  let bp = pOff;
  for (let p = 0; p < kc; p++) {
    const b0 = packed[bp]!, b1 = packed[bp + 1]!;
    const b2 = packed[bp + 2]!, b3 = packed[bp + 3]!;
    bp += 4;
    const x0 = a[a0++]!, x1 = a[a1++]!, x2 = a[a2++]!, x3 = a[a3++]!;
    c00 += x0 * b0, c01 += x0 * b1, c02 += x0 * b2, c03 += x0 * b3;
    c10 += x1 * b0, c11 += x1 * b1, c12 += x1 * b2, c13 += x1 * b3;
    c20 += x2 * b0, c21 += x2 * b1, c22 += x2 * b2, c23 += x2 * b3;
    c30 += x3 * b0, c31 += x3 * b1, c32 += x3 * b2, c33 += x3 * b3;
  }

  const o = i * n + j0;
  writeRow(out, o, cols, c00, c01, c02, c03);
  writeRow(out, o + n, cols, c10, c11, c12, c13);
  writeRow(out, o + 2 * n, cols, c20, c21, c22, c23);
  writeRow(out, o + 3 * n, cols, c30, c31, c32, c33);
}

/** Adds a 1-row by `cols`-column tile of `a · b` into `out` (row leftovers). */
function tile1x4(
  a: Float32Array,
  packed: Float32Array,
  out: Float32Array,
  i: number,
  k0: number,
  kc: number,
  k: number,
  n: number,
  j0: number,
  cols: number,
  pOff: number,
): void {
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  let a0 = i * k + k0;
  let bp = pOff;
  for (let p = 0; p < kc; p++) {
    const x = a[a0++]!;
    c0 += x * packed[bp]!;
    c1 += x * packed[bp + 1]!;
    c2 += x * packed[bp + 2]!;
    c3 += x * packed[bp + 3]!;
    bp += 4;
  }
  writeRow(out, i * n + j0, cols, c0, c1, c2, c3);
}

function writeRow(
  out: Float32Array,
  o: number,
  cols: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
): void {
  out[o] = out[o]! + v0;
  if (cols > 1) out[o + 1] = out[o + 1]! + v1;
  if (cols > 2) out[o + 2] = out[o + 2]! + v2;
  if (cols > 3) out[o + 3] = out[o + 3]! + v3;
}
