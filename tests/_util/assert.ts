/**
 * The one array-closeness check the tests share. `@std/assert` lives on JSR,
 * which these machines cannot reach, so tests use `node:assert` plus this.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * Asserts that `actual` has `expectedShape` (when given) and that every value
 * is within `tol` of `expected`, absolutely. The failure message names the
 * first offending index, both values and the largest difference.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
  opts: {
    actualShape?: readonly number[];
    expectedShape?: readonly number[];
    msg?: string;
  } = {},
): void {
  const prefix = opts.msg ? `${opts.msg}: ` : "";
  if (opts.actualShape && opts.expectedShape) {
    assert.deepEqual(
      [...opts.actualShape],
      [...opts.expectedShape],
      `${prefix}shape [${opts.actualShape}] != expected [${opts.expectedShape}]`,
    );
  }
  assert.equal(actual.length, expected.length, `${prefix}length differs`);
  let worst = 0;
  let worstIndex = -1;
  let firstBad = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const d = Number.isNaN(a) || Number.isNaN(e) ? Infinity : Math.abs(a - e);
    if (d > worst) {
      worst = d;
      worstIndex = i;
    }
    if (d > tol && firstBad < 0) firstBad = i;
  }
  if (firstBad >= 0) {
    assert.fail(
      `${prefix}index ${firstBad}: actual ${actual[firstBad]}, expected ` +
        `${expected[firstBad]}; largest difference ${worst} at index ` +
        `${worstIndex} (tolerance ${tol})`,
    );
  }
}
