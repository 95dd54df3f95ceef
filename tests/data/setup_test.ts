import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { loadCifar10 } from "../../src/data/cifar10.ts";
import { loadNusax } from "../../src/data/nusax.ts";
import { type Pins, setupData, SetupError } from "../../src/data/setup.ts";
import { createTar } from "../../src/data/tar.ts";
import { fakeBatches, jpeg, smoothImage } from "./_fixtures.ts";

const enc = new TextEncoder();
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

const CSV: Record<string, Uint8Array> = {
  "indonesian/train.csv": enc.encode(
    'id,text,label\n1,"bagus, sekali",positive\n2,jelek,negative\n',
  ),
  "indonesian/valid.csv": enc.encode("id,text,label\n3,biasa,neutral\n"),
  "indonesian/test.csv": enc.encode("id,text,label\n4,oke,positive\n"),
};

/** A JPEG image-folder tarball: one train image for each of 3 classes. */
const JPEG_TAR = gzipSync(
  createTar(["airplane", "bird", "ship"].flatMap((cls, k) => [
    { name: `train/${cls}/0000.jpg`, data: jpeg(smoothImage(10 + 40 * k)) },
    { name: `test/${cls}/0000.jpg`, data: jpeg(smoothImage(20 + 40 * k)) },
  ])),
);
const BINARY_TAR = gzipSync(createTar(fakeBatches(2)));

function pins(): Pins {
  return {
    cifarJpeg: { algorithm: "sha256", hex: sha256(JPEG_TAR) },
    cifarBinary: { algorithm: "md5", hex: md5(BINARY_TAR) },
    nusaxSha256: Object.fromEntries(
      Object.entries(CSV).map(([k, v]) => [k, sha256(v)]),
    ),
  };
}

async function makeMirror(root: string): Promise<string> {
  const mirror = join(root, "mirror");
  await Deno.mkdir(join(mirror, "cifar10"), { recursive: true });
  await Deno.writeFile(join(mirror, "cifar10/cifar10-jpeg.tar.gz"), JPEG_TAR);
  await Deno.mkdir(join(mirror, "nusax-senti/indonesian"), { recursive: true });
  for (const [rel, bytes] of Object.entries(CSV)) {
    await Deno.writeFile(join(mirror, "nusax-senti", rel), bytes);
  }
  await Deno.writeTextFile(join(mirror, "nusax-senti/LICENSE"), "CC BY-SA\n");
  return mirror;
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("setup mirror: copies 3 CSVs + LICENSE + JPEG tarball, builds cache; second run is up to date", async () => {
  await withTemp(async (root) => {
    const mirror = await makeMirror(root);
    const dataDir = join(root, "data");
    const lines: string[] = [];
    const opts = {
      dataDir,
      fallbackMirror: mirror,
      download: false,
      pins: pins(),
      log: (l: string) => lines.push(l),
    };
    const first = await setupData(opts);
    assert.equal(first.mode, "mirror");
    assert.deepEqual(first.changed.sort(), [
      "cifar10/cifar10-jpeg.tar.gz",
      "nusax-senti/LICENSE",
      "nusax-senti/indonesian/test.csv",
      "nusax-senti/indonesian/train.csv",
      "nusax-senti/indonesian/valid.csv",
    ]);
    assert.equal(first.cache?.built, true);
    assert.deepEqual(first.cache?.meta.counts, { train: 3, test: 3 });
    assert.equal(first.upToDate, false);

    const nusax = await loadNusax({ dataDir });
    assert.deepEqual(nusax.train.texts, ["bagus, sekali", "jelek"]);
    const cifar = await loadCifar10({ dataDir, seed: 1, valFraction: 0 });
    assert.equal(cifar.train.n, 3);

    lines.length = 0;
    const second = await setupData(opts);
    assert.deepEqual(second.changed, []);
    assert.equal(second.cache?.built, false);
    assert.equal(second.upToDate, true);
    assert.ok(lines.some((l) => l.endsWith("up to date")), lines.join("\n"));

    // A changed copy in data/ is noticed and replaced from the mirror.
    await Deno.writeTextFile(
      join(dataDir, "nusax-senti/indonesian/test.csv"),
      "x",
    );
    const third = await setupData(opts);
    assert.deepEqual(third.changed, ["nusax-senti/indonesian/test.csv"]);
  });
});

Deno.test("setup mirror: a file whose sum differs is an error naming file, expected and actual", async () => {
  await withTemp(async (root) => {
    const mirror = await makeMirror(root);
    const p = pins();
    const wrong = "0".repeat(64);
    const bad: Pins = {
      ...p,
      nusaxSha256: { ...p.nusaxSha256, "indonesian/valid.csv": wrong },
    };
    const actual = sha256(CSV["indonesian/valid.csv"]!);
    await assert.rejects(
      setupData({ dataDir: join(root, "data"), from: mirror, pins: bad }),
      (e: unknown) =>
        e instanceof SetupError &&
        e.message.includes(join(mirror, "nusax-senti/indonesian/valid.csv")) &&
        e.message.includes(`expected ${wrong}`) &&
        e.message.includes(`got ${actual}`),
    );
  });
});

/** Serves `files` (path -> bytes) on 127.0.0.1; 404 for anything else. */
function serve(files: Record<string, Uint8Array>) {
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const path = new URL(req.url).pathname;
      requests.push(path);
      const body = files[path];
      return body === undefined
        ? new Response("not found", { status: 404 })
        : new Response(body.slice());
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { server, base, requests };
}

Deno.test("setup download: fetches binary tarball + CSVs from a local server, checks sums, builds cache; rerun fetches nothing", async () => {
  const files: Record<string, Uint8Array> = { "/kriz/cifar.tgz": BINARY_TAR };
  for (const [rel, bytes] of Object.entries(CSV)) {
    files[`/nusax/${rel}`] = bytes;
  }
  const { server, base, requests } = serve(files);
  try {
    await withTemp(async (root) => {
      const dataDir = join(root, "data");
      const opts = {
        dataDir,
        fallbackMirror: join(root, "no-mirror"),
        download: true,
        urls: {
          cifarBinary: `${base}/kriz/cifar.tgz`,
          nusaxBase: `${base}/nusax`,
        },
        pins: pins(),
      };
      const first = await setupData(opts);
      assert.equal(first.mode, "download");
      assert.equal(first.changed.length, 4);
      assert.equal(first.cache?.meta.source.kind, "binary-tar");
      assert.deepEqual(first.cache?.meta.counts, { train: 10, test: 20 });
      assert.equal(requests.length, 4);

      const second = await setupData(opts);
      assert.equal(second.upToDate, true);
      assert.equal(requests.length, 4, "second run must not download");

      // Labels 1,2,2,3,3,4,4,5,5,6: at 0.5, round(1 * 0.5) = 1 and
      // round(2 * 0.5) = 1 per class go to validation: 6 val, 4 train.
      const s = await loadCifar10({ dataDir, seed: 2, valFraction: 0.5 });
      assert.deepEqual([s.train.n, s.val.n, s.test.n], [4, 6, 20]);
    });

    await withTemp(async (root) => {
      const p = pins();
      const wrong = { algorithm: "md5" as const, hex: "f".repeat(32) };
      await assert.rejects(
        setupData({
          dataDir: join(root, "data"),
          download: true,
          urls: {
            cifarBinary: `${base}/kriz/cifar.tgz`,
            nusaxBase: `${base}/nusax`,
          },
          pins: { ...p, cifarBinary: wrong },
        }),
        new RegExp(
          `cifar-10-binary\\.tar\\.gz \\(from ${base}/kriz/cifar\\.tgz\\): md5 ` +
            `mismatch: expected f{32}, got ${md5(BINARY_TAR)}`,
        ),
      );
      // Nothing half-written is left under the final name or as a temp file.
      const left = [...Deno.readDirSync(join(root, "data/cifar10"))];
      assert.deepEqual(left, []);

      await assert.rejects(
        setupData({
          dataDir: join(root, "data"),
          download: true,
          urls: { cifarBinary: `${base}/missing`, nusaxBase: `${base}/nusax` },
          pins: p,
        }),
        /download of http:\/\/127\.0\.0\.1:\d+\/missing failed: HTTP 404/,
      );
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("setup: neither mirror nor download -> message says exactly what to run", async () => {
  await withTemp(async (root) => {
    const fallback = join(root, "shared", "data");
    await assert.rejects(
      setupData({
        dataDir: join(root, "data"),
        fallbackMirror: fallback,
        download: false,
      }),
      (e: unknown) =>
        e instanceof SetupError &&
        e.message.includes(`looked for ${fallback}`) &&
        e.message.includes("deno task setup --from /path/to/mirror") &&
        e.message.includes("deno task setup --download"),
    );
    await assert.rejects(
      setupData({ dataDir: join(root, "data"), from: join(root, "nope") }),
      /--from .*nope: no such folder/,
    );
  });
});

Deno.test("setup CLI: unknown flag exits 2 with usage; --download with --offline refused", async () => {
  const script = new URL("../../tasks/setup.ts", import.meta.url).pathname;
  for (const args of [["--bogus"], ["--download", "--offline"]]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, args.join(" "));
    assert.match(
      new TextDecoder().decode(out.stderr),
      /usage: deno task setup/,
    );
  }
});
