import assert from "node:assert/strict";

import { Random } from "../../src/util/random.ts";

Deno.test("Random: same seed gives the same sequence, another seed differs", () => {
  const a = new Random(7);
  const b = new Random(7);
  const c = new Random(8);
  const sa = Array.from({ length: 20 }, () => a.nextUint32());
  const sb = Array.from({ length: 20 }, () => b.nextUint32());
  const sc = Array.from({ length: 20 }, () => c.nextUint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

Deno.test("Random: seed 0 is a real seed, distinct from seed 1 and negatives", () => {
  const firsts = [0, 1, -1, 2 ** 40].map((s) => new Random(s).nextUint32());
  assert.equal(new Set(firsts).size, firsts.length);
  assert.equal(new Random(0).nextUint32(), firsts[0]);
});

Deno.test("Random: getState/setState replays the stream", () => {
  const rng = new Random(123);
  for (let i = 0; i < 5; i++) rng.next();
  const saved = rng.getState();
  const ahead = [rng.next(), rng.int(10), rng.next()];
  rng.setState(saved);
  assert.deepEqual([rng.next(), rng.int(10), rng.next()], ahead);
  assert.throws(() => rng.setState([1, 2, 3] as never), /four integers/);
  assert.throws(() => rng.setState([1, 2, 3, 2 ** 32]), /four integers/);
});

Deno.test("Random: next in [0,1) with mean near 1/2; int(n) covers 0..n-1 evenly", () => {
  const rng = new Random(5);
  let sum = 0;
  const counts = new Array<number>(6).fill(0);
  const draws = 60000;
  for (let i = 0; i < draws; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    const k = rng.int(6);
    counts[k] = counts[k]! + 1;
  }
  // Mean of U(0,1) is 0.5 with standard error 1/sqrt(12 * 60000) ~ 0.0012.
  assert.ok(Math.abs(sum / draws - 0.5) < 0.006, `mean ${sum / draws}`);
  // Each of 6 faces expects 10000, standard deviation ~ 91: allow 5 sigma.
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 460, `${counts}`);
  assert.throws(() => rng.int(0), /n must be an integer/);
  assert.throws(() => rng.int(2.5), /n must be an integer/);
});

Deno.test("Random: shuffle permutes arrays and typed arrays in place", () => {
  const rng = new Random(9);
  const arr = Array.from({ length: 50 }, (_, i) => i);
  const same = rng.shuffle(arr);
  assert.equal(same, arr);
  assert.deepEqual([...arr].sort((a, b) => a - b), [...Array(50).keys()]);
  assert.notDeepEqual(arr, [...Array(50).keys()]);
  const typed = rng.shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual([...typed].sort((a, b) => a - b), [...Array(50).keys()]);
});

Deno.test("Random: rejects a non-integer seed", () => {
  assert.throws(() => new Random(1.5), /seed must be a safe integer, got 1.5/);
  assert.throws(() => new Random(NaN), /got NaN/);
});
