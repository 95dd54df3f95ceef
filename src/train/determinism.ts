/**
 * Routes every random draw of a training run through one seeded generator.
 *
 * TensorFlow.js seeds each random op it is not given a seed for with
 * `Math.random()` (tfjs-core `rand_util.ts`: `seed ? seed : Math.random()`),
 * and so do its initialisers and dropout layers. Replacing `Math.random` with
 * a seeded generator therefore fixes weight initialisation, dropout masks and
 * (through `permutation`) the epoch shuffle, without passing seeds to layers:
 * a layer given a seed would draw the same dropout mask on every call.
 *
 * @module
 */
import { Random } from "../util/random.ts";

/**
 * Seeds the process-wide `Math.random` from `seed` and returns the generator,
 * whose state a checkpoint saves. Call `restore` to put the original back.
 */
export function seedGlobalRandom(
  seed: number,
): { rng: Random; restore: () => void } {
  const rng = new Random(seed);
  const original = Math.random;
  Math.random = () => rng.next();
  return { rng, restore: () => (Math.random = original) };
}
