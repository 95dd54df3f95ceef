/**
 * Fills the project's `data/` folder, from a local mirror or by downloading
 * the official releases, checks every pinned checksum, and builds the
 * CIFAR-10 cache so the first training run starts fast. Running it again
 * when everything matches changes nothing ("up to date").
 *
 * Files are copied, not linked: the NusaX CSVs are small, and a copied CIFAR
 * tarball (19 MB for the JPEG mirror) keeps `data/` valid if the mirror
 * moves. Every copy and download goes to a temporary name first and is
 * renamed into place only after its checksum matched.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";

import { buildCifar10Cache, type CacheBuildResult } from "./cifar10.ts";
import {
  copyFileAtomic,
  exists,
  type HashAlgorithm,
  hashFile,
  tempPathFor,
} from "./files.ts";
import { NUSAX_FILES, NUSAX_LANGUAGES } from "./nusax.ts";

/** A checksum a file must match. */
export interface Checksum {
  /** Hash algorithm. */
  readonly algorithm: HashAlgorithm;
  /** Lower-case hex digest. */
  readonly hex: string;
}

/** Where downloads come from. */
export interface DownloadUrls {
  /** URL of the official CIFAR-10 binary tarball. */
  readonly cifarBinary: string;
  /** Base URL; a NusaX file is fetched from `${base}/<language>/<file>`. */
  readonly nusaxBase: string;
}

/** The checksums every copied or downloaded file must match. */
export interface Pins {
  /** The JPEG image-folder tarball `cifar10/cifar10-jpeg.tar.gz`. */
  readonly cifarJpeg: Checksum;
  /** The official binary tarball `cifar10/cifar-10-binary.tar.gz`. */
  readonly cifarBinary: Checksum;
  /**
   * SHA-256 per `"<language>/<file>.csv"`. Downloads fetch exactly these
   * files; a mirror's CSV without an entry here is copied unchecked.
   */
  readonly nusaxSha256: Readonly<Record<string, string>>;
}

/**
 * SHA-256 of the mirror's `cifar10/cifar10-jpeg.tar.gz` (deterministic
 * archive: sorted names, fixed mtime and owner).
 */
export const CIFAR10_JPEG_SHA256 =
  "1dee0fff144b2e2676d3d217f640072af1eb18bbc0c9d8c936fd4bc2441c805b";

/**
 * Checksum of the official `cifar-10-binary.tar.gz`. The dataset page
 * (cs.toronto.edu/~kriz/cifar.html) publishes MD5
 * c32a1d4ab5d03f1284b67883e8d87530, which is what is pinned. Third-party
 * records give SHA-256 c4a38c50...a59bca1dd for the same 170,052,171-byte
 * file, but it could not be checked here (no internet), so it is not
 * enforced; the cache's `meta.json` records the SHA-256 actually seen.
 */
export const CIFAR10_BINARY_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

/**
 * SHA-256 of the NusaX-Senti CSVs: the files of IndoNLP/nusax
 * `datasets/sentiment/` as held by the shared data mirror.
 */
export const NUSAX_SHA256: Readonly<Record<string, string>> = Object.freeze({
  "acehnese/test.csv":
    "0a38ac2352ec2194602f97acf5b25c78f432d84c9c9bee60c294506e55c18f1c",
  "acehnese/train.csv":
    "eeb72a3e29d6129af729a9112e296afe0b7bae3c4f6a2590d5532bafe57f4597",
  "acehnese/valid.csv":
    "1752fc429c3f7b12f29a72dd68d0e3939b21a40f389dd5d0eb5432c6d036b308",
  "balinese/test.csv":
    "d10c82f294bd72b0ee7077400424522e5c39fa477f83ffabb2f7652f84ed71fa",
  "balinese/train.csv":
    "e37accf45aec8381c7465b2ca2df75500c0c5991941f18a6f0e109d8a81e5c5b",
  "balinese/valid.csv":
    "1055ca278cc03de4743605c1bfac04261b4f6514fbbdba86587c2e3076e80197",
  "banjarese/test.csv":
    "cca90ae2c130ebd41f38a3d04acda1cc79b3795d5e43575a41d369c7326679d9",
  "banjarese/train.csv":
    "0e15c5826401ca8649c51e67a5c1ba6b0345d66897954e96ac073a85e717ee7a",
  "banjarese/valid.csv":
    "999a0bef291cde263777d64bde9d31b46fbf1de957a64e73f0fd39b8674784b1",
  "buginese/test.csv":
    "369fedd3463d406e98b88dbc7cce9a3ce1ac9d3947aad627f17826e68ee0b179",
  "buginese/train.csv":
    "23818aa30bf4ae743c540b007231c925e6f00f4dfd3ed8e38972b5663d601027",
  "buginese/valid.csv":
    "5425f886a49379cffd114802b0d3ef07de048d3f7e1647046a2c6dabd7284b0f",
  "english/test.csv":
    "63b49ae7c8fa9c72013dbc29477c9ca6b9f82e510f65df88a05635e36f4a979e",
  "english/train.csv":
    "d11297019c1f39c6a9bc855cf8bebd54aebd6c9c3e0e945cb8cb6a7999350e94",
  "english/valid.csv":
    "76ca81930332a857ee8c1a5d05a1523f4d91783d313a80bccb39836d80ad2655",
  "indonesian/test.csv":
    "43b612ed6fde972c752ab9fa8b2ce290d9ffa06b176b732fcef2a947cb94a161",
  "indonesian/train.csv":
    "698c4802111085c14fbe35122957e1145338d307bcc295764026a23095a32984",
  "indonesian/valid.csv":
    "4049c4a53017e08db72c72e1907345bfdfc19385481c58f54fe4637073d813f9",
  "javanese/test.csv":
    "ad73d2ee75854c4104c9188a84c757caa07f826e108a384ade7fbf0f6dcc53a2",
  "javanese/train.csv":
    "46a88ac0f2f0b09b42b7fb840d80f727cc5b2a558440cd29d3b69178c24853c5",
  "javanese/valid.csv":
    "ff8df9ec279e505c914bf7c367db5f10fcba672da8a0f7a32f8b701670e7a89c",
  "madurese/test.csv":
    "daf0d571942b7a716583f2f92257501278ab29f8a315a9074fc4aa4a63869be1",
  "madurese/train.csv":
    "0cc23e1d5f29cc94f30916e07f32809dd3995a8bbae2d19e78d4f88673a91c05",
  "madurese/valid.csv":
    "e1dc6c01128a40c13903e14ec3c51987ac47dacbbc527bd20e178294278296ad",
  "minangkabau/test.csv":
    "da055aabc671f0d702f73c50a90fde58ac0916ce30c4a23b6b0a589950909062",
  "minangkabau/train.csv":
    "96f11a39631fded49d04562e520199bcc9dcdbd07bfaee505753521d82388437",
  "minangkabau/valid.csv":
    "bca87a7e812cf13ac31c4fa9f0d4ac4c6dd2ba00999abd1687f01a1d89f37f3f",
  "ngaju/test.csv":
    "f8cd78d440d7d4cdc4fa556e80a546028fbfb0eaa173ff5156a39c3d42e9ca4f",
  "ngaju/train.csv":
    "db52af95941e56846296f9adcc58fa94cd41cd5ab17ce9ee10f20f3116d991ad",
  "ngaju/valid.csv":
    "a3061f5238852dcf296d92ebd103f1530e6e5832511e5a0a38fb85facd05fc80",
  "sundanese/test.csv":
    "887e940330e59716ff741ad11c4bccad6f94752c46de44858b32d46a96ef7d48",
  "sundanese/train.csv":
    "b525aefac4d9819add0375b8c0db49516f19b57fbf6e6fc5afda3069895f2168",
  "sundanese/valid.csv":
    "ca5bbbef8e7d8d085300e716e570b4f2a964a761b392a3612e5547dd7b5d0444",
  "toba_batak/test.csv":
    "11d15c3ab4079d7d97e80bfc1ce1a4245bd1909a3fa40e15806c1c6334a99309",
  "toba_batak/train.csv":
    "f6fed53a064607541c12a7f25dd16c5dc47b145ff7a75d844e18e3e50f80063f",
  "toba_batak/valid.csv":
    "af3fdec7f6319b0e38e0ee7defb168ca741c1a56fac3dc3aa7a57dbab50967ea",
});

/** The official download locations. */
export const OFFICIAL_URLS: DownloadUrls = Object.freeze({
  cifarBinary: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
  // The checksums pin the content, so the branch name is enough here.
  nusaxBase:
    "https://raw.githubusercontent.com/IndoNLP/nusax/main/datasets/sentiment",
});

/** The checksums setup enforces by default. */
export const OFFICIAL_PINS: Pins = Object.freeze<Pins>({
  cifarJpeg: { algorithm: "sha256", hex: CIFAR10_JPEG_SHA256 },
  cifarBinary: { algorithm: "md5", hex: CIFAR10_BINARY_MD5 },
  nusaxSha256: NUSAX_SHA256,
});

/** A setup failure; the message says what to do next. */
export class SetupError extends Error {
  /** @param message full message */
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

/** Options of {@link setupData}. */
export interface SetupOptions {
  /** Folder to fill (the project's `data/`). */
  readonly dataDir: string;
  /** Mirror given explicitly (`--from`); must exist. */
  readonly from?: string;
  /** Mirror used when present and `from` is not given (`../shared/data`). */
  readonly fallbackMirror?: string;
  /**
   * Download when no mirror is found: `true` (`--download`), `false`
   * (`--offline`), or `"auto"` (default): when Deno's net permission is
   * granted.
   */
  readonly download?: boolean | "auto";
  /** Download locations; default {@link OFFICIAL_URLS}. */
  readonly urls?: DownloadUrls;
  /** Checksums to enforce; default {@link OFFICIAL_PINS}. */
  readonly pins?: Pins;
  /** Build the CIFAR-10 cache afterwards; default true. */
  readonly buildCache?: boolean;
  /** Progress lines (the CLI prefixes elapsed time); default silent. */
  readonly log?: (line: string) => void;
}

/** What {@link setupData} did. */
export interface SetupResult {
  /** Where the files came from. */
  readonly mode: "mirror" | "download";
  /** Paths (relative to the data folder) copied or downloaded this time. */
  readonly changed: string[];
  /** The cache build, or null when skipped. */
  readonly cache: CacheBuildResult | null;
  /** True when nothing was copied, downloaded or rebuilt. */
  readonly upToDate: boolean;
}

/** The message for "no mirror and no download": exactly what to do. */
export function neitherMessage(dataDir: string, looked: readonly string[]) {
  const where = looked.length > 0 ? looked.join(", ") : "(none given)";
  return (
    `No data mirror found (looked for ${where}) and downloading is off, ` +
    `so ${dataDir} cannot be filled. Do one of:\n` +
    "  deno task setup --from /path/to/mirror   " +
    "(a folder with cifar10/cifar10-jpeg.tar.gz and " +
    "nusax-senti/<language>/{train,valid,test}.csv)\n" +
    "  deno task setup --download               " +
    "(fetches the official CIFAR-10 binary release, 162 MB, from " +
    "www.cs.toronto.edu and the NusaX CSVs from raw.githubusercontent.com)"
  );
}

function checksumMismatch(
  file: string,
  sum: Checksum,
  actual: string,
): SetupError {
  return new SetupError(
    `${file}: ${sum.algorithm} mismatch: expected ${sum.hex}, got ${actual}. ` +
      "The file is corrupt or a different version; delete it and run " +
      "`deno task setup` again.",
  );
}

/** True if `path` exists and matches `sum`. */
async function matches(path: string, sum: Checksum): Promise<boolean> {
  if (!(await exists(path))) return false;
  return (await hashFile(path, sum.algorithm)) === sum.hex;
}

/** Copies `from` to `to` unless `to` already matches; checks `sum` first. */
async function copyChecked(
  from: string,
  to: string,
  sum: Checksum | null,
): Promise<boolean> {
  const expected = sum ?? { algorithm: "sha256", hex: await hashFile(from) };
  if (await matches(to, expected)) return false;
  if (sum !== null) {
    const actual = await hashFile(from, sum.algorithm);
    if (actual !== sum.hex) throw checksumMismatch(from, sum, actual);
  }
  await Deno.mkdir(dirname(to), { recursive: true });
  await copyFileAtomic(from, to);
  return true;
}

/** The files a mirror holds: `[path relative to both roots, sum or null]`. */
async function mirrorPlan(
  mirror: string,
  pins: Pins,
): Promise<Array<[string, Checksum | null]>> {
  const plan: Array<[string, Checksum | null]> = [];
  const cifar: Array<[string, Checksum]> = [
    ["cifar10/cifar10-jpeg.tar.gz", pins.cifarJpeg],
    ["cifar10/cifar-10-binary.tar.gz", pins.cifarBinary],
  ];
  for (const [rel, sum] of cifar) {
    if (await exists(join(mirror, rel))) plan.push([rel, sum]);
  }
  if (plan.length === 0) {
    throw new SetupError(
      `mirror ${mirror} has no CIFAR-10 archive (expected ` +
        `${cifar.map(([rel]) => join(mirror, rel)).join(" or ")})`,
    );
  }
  for (const language of NUSAX_LANGUAGES) {
    if (!(await exists(join(mirror, "nusax-senti", language)))) continue;
    for (const file of NUSAX_FILES) {
      const key = `${language}/${file}`;
      const pinned = pins.nusaxSha256[key];
      const sum: Checksum | null = pinned === undefined
        ? null
        : { algorithm: "sha256", hex: pinned };
      plan.push([`nusax-senti/${key}`, sum]);
    }
  }
  if (!plan.some(([rel]) => rel.startsWith("nusax-senti/indonesian/"))) {
    throw new SetupError(
      `mirror ${mirror} has no ${join(mirror, "nusax-senti", "indonesian")}`,
    );
  }
  if (await exists(join(mirror, "nusax-senti", "LICENSE"))) {
    plan.push(["nusax-senti/LICENSE", null]);
  }
  return plan;
}

async function fromMirror(
  mirror: string,
  dataDir: string,
  pins: Pins,
  log: (line: string) => void,
): Promise<string[]> {
  const changed: string[] = [];
  for (const [rel, sum] of await mirrorPlan(mirror, pins)) {
    const copied = await copyChecked(
      join(mirror, rel),
      join(dataDir, rel),
      sum,
    );
    if (copied) changed.push(rel);
  }
  const nusax = changed.filter((rel) => rel.startsWith("nusax-senti/"));
  for (const rel of changed) if (!nusax.includes(rel)) log(`copied ${rel}`);
  if (nusax.length > 0) log(`copied ${nusax.length} NusaX-Senti file(s)`);
  return changed;
}

/**
 * Streams `url` into `to` (through a temporary file), hashing on the way;
 * renames into place only if the sum matches.
 */
async function download(url: string, to: string, sum: Checksum) {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new SetupError(
      `download of ${url} failed: ${(err as Error).message}. Check the ` +
        "network, or use a local mirror: deno task setup --from DIR",
    );
  }
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    throw new SetupError(`download of ${url} failed: HTTP ${res.status}`);
  }
  await Deno.mkdir(dirname(to), { recursive: true });
  const tmp = tempPathFor(to);
  const hash = createHash(sum.algorithm);
  const file = await Deno.open(tmp, { write: true, create: true });
  try {
    for await (const chunk of res.body) {
      hash.update(chunk);
      let written = 0;
      while (written < chunk.length) {
        written += await file.write(chunk.subarray(written));
      }
    }
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw new SetupError(
      `download of ${url} failed: ${(err as Error).message}`,
    );
  }
  file.close();
  const actual = hash.digest("hex");
  if (actual !== sum.hex) {
    await Deno.remove(tmp).catch(() => {});
    throw checksumMismatch(`${to} (from ${url})`, sum, actual);
  }
  await Deno.rename(tmp, to);
}

async function fromDownload(
  urls: DownloadUrls,
  pins: Pins,
  dataDir: string,
  log: (line: string) => void,
): Promise<string[]> {
  const jobs: Array<[string, string, Checksum]> = [[
    "cifar10/cifar-10-binary.tar.gz",
    urls.cifarBinary,
    pins.cifarBinary,
  ]];
  for (const [key, hex] of Object.entries(pins.nusaxSha256)) {
    jobs.push([
      `nusax-senti/${key}`,
      `${urls.nusaxBase}/${key}`,
      { algorithm: "sha256", hex },
    ]);
  }
  const changed: string[] = [];
  for (const [rel, url, sum] of jobs) {
    const to = join(dataDir, rel);
    if (await matches(to, sum)) continue;
    log(`downloading ${url}`);
    await download(url, to, sum);
    changed.push(rel);
  }
  return changed;
}

async function netAllowed(): Promise<boolean> {
  const status = await Deno.permissions.query({ name: "net" });
  return status.state === "granted";
}

/**
 * Fills `dataDir` from a mirror (explicit `from`, else `fallbackMirror` if it
 * exists) or, with no mirror, by downloading, then builds the CIFAR-10 cache.
 *
 * @throws {SetupError} if `from` does not exist, a checksum differs (naming
 *   the file, expected and actual sum), a download fails, or there is
 *   neither a mirror nor permission to download (the message says what to
 *   run).
 */
export async function setupData(opts: SetupOptions): Promise<SetupResult> {
  const log = opts.log ?? (() => {});
  const { dataDir } = opts;
  const pins = opts.pins ?? OFFICIAL_PINS;
  if (opts.from !== undefined && !(await exists(opts.from))) {
    throw new SetupError(`--from ${opts.from}: no such folder`);
  }
  const fallback = opts.fallbackMirror;
  const mirror = opts.from ??
    (fallback !== undefined && (await exists(fallback)) ? fallback : undefined);

  let mode: SetupResult["mode"];
  let changed: string[];
  if (mirror !== undefined) {
    mode = "mirror";
    log(`mirror: ${mirror}`);
    changed = await fromMirror(mirror, dataDir, pins, log);
  } else {
    const wanted = opts.download ?? "auto";
    const allowed = wanted === "auto" ? await netAllowed() : wanted;
    if (!allowed) {
      throw new SetupError(
        neitherMessage(dataDir, fallback === undefined ? [] : [fallback]),
      );
    }
    mode = "download";
    const urls = opts.urls ?? OFFICIAL_URLS;
    changed = await fromDownload(urls, pins, dataDir, log);
  }

  let cache: CacheBuildResult | null = null;
  if (opts.buildCache ?? true) {
    cache = await buildCifar10Cache(dataDir);
    log(
      cache.built
        ? `built CIFAR-10 cache from ${cache.meta.source.path} in ` +
          `${cache.seconds.toFixed(1)} s (train ${cache.meta.counts.train}, ` +
          `test ${cache.meta.counts.test})`
        : "CIFAR-10 cache: up to date",
    );
  }
  const upToDate = changed.length === 0 && !(cache?.built ?? false);
  if (upToDate) log(`${dataDir}: up to date`);
  return { mode, changed, cache, upToDate };
}
