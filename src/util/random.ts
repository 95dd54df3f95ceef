/**
 * A small, self-contained seeded pseudo-random generator, so that data splits
 * and shuffles come out the same on every machine and can be saved and
 * restored mid-run.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's "small fast chaotic" PRNG from
 * PractRand: 128 bits of state, passes PractRand and BigCrush), seeded through
 * splitmix32 so that nearby seeds give unrelated streams. `Math.random` cannot
 * be seeded, and several tfjs generators treat seed 0 as "no seed"
 * (`seed ? seed : ...`); here every integer seed, 0 included, is a real seed.
 *
 * @module
 */

const TWO_POW_32 = 4294967296;

/** The generator's full state: four unsigned 32-bit words `[a, b, c, d]`. */
export type RngState = readonly [number, number, number, number];

/** One step of splitmix32; returns the next state and a well-mixed output. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * Seeded generator (sfc32). Same seed, same sequence, on every platform: only
 * 32-bit integer arithmetic is used.
 *
 * @example
 * ```ts
 * const rng = new Random(42);
 * const order = rng.shuffle([0, 1, 2, 3]);
 * const saved = rng.getState();
 * const a = rng.next();
 * rng.setState(saved);
 * a === rng.next(); // true
 * ```
 */
export class Random {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;

  /**
   * @param seed any safe integer (0 and negatives included); its low and high
   *   32 bits both feed the state.
   * @throws {RangeError} if `seed` is not a safe integer.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(
        `Random: seed must be a safe integer, got ${String(seed)}`,
      );
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    let s = low ^ Math.imul(high, 0x27d4eb2d);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      words.push(out);
    }
    this.setState(words as unknown as RngState);
    // sfc32's authors discard the first outputs so weak seeds mix in.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next unsigned 32-bit integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** Next float in [0, 1), with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /**
   * Uniform integer in [0, n), without modulo bias (rejection sampling).
   *
   * @throws {RangeError} if `n` is not an integer in [1, 2^32].
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(
        `Random.int: n must be an integer in [1, 2^32], got ${String(n)}`,
      );
    }
    // Accept only draws below the largest multiple of n, so every residue is
    // equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let u = this.nextUint32();
    while (u >= limit) u = this.nextUint32();
    return u % n;
  }

  /**
   * Shuffles `items` (an array or typed array) in place with Fisher-Yates,
   * from the end, and returns it.
   */
  shuffle<A extends { length: number; [i: number]: unknown }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A copy of the state, for saving with a checkpoint. */
  getState(): RngState {
    // `^` in nextUint32 leaves signed words; store them unsigned.
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /**
   * Restores a state taken with {@link Random.getState}.
   *
   * @throws {RangeError} unless `state` is four integers in [0, 2^32).
   */
  setState(state: RngState): void {
    const ok = Array.isArray(state) && state.length === 4 &&
      state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32);
    if (!ok) {
      throw new RangeError(
        `Random.setState: expected four integers in [0, 2^32), got ` +
          JSON.stringify(state),
      );
    }
    [this.#a, this.#b, this.#c, this.#d] = state;
  }
}
