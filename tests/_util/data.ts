/**
 * Whether the real data sets are set up (`deno task setup`). Tests that need
 * them are skipped when they are not, unless `REQUIRE_DATA` is set (CI sets
 * it, so there a missing data set fails instead of passing quietly).
 *
 * @module
 */
function present(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

export const HAS_DATA = present("data/cifar10/cache/meta.json") &&
  present("data/nusax-senti/indonesian/train.csv");

/** `ignore` value for tests that need the real data. */
export const NEEDS_DATA = !HAS_DATA && !Deno.env.get("REQUIRE_DATA");
