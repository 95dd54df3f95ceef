import assert from "node:assert/strict";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import {
  buildCifar10Cache,
  CIFAR10_CLASSES,
  CIFAR10_IMAGE_BYTES,
  decodeCifar10Binary,
  gatherFloatNHWC,
  type ImageSet,
  loadCifar10,
  stratifiedSplit,
  toFloatNHWC,
} from "../../src/data/cifar10.ts";
import { DataNotFoundError } from "../../src/data/files.ts";
import { createTar, type TarEntry } from "../../src/data/tar.ts";
import { assertClose } from "../_util/assert.ts";
import { concat, fakeBatches, jpeg, record, smoothImage } from "./_fixtures.ts";

Deno.test("cifar10 binary: planes R,G,B -> NHWC [2,32,32,3] with known pixels", () => {
  const set = decodeCifar10Binary(concat([record(3, 7), record(9, 8)]), "b");
  assert.equal(set.n, 2);
  assert.deepEqual([...set.y], [3, 9]);
  const px = (img: number, row: number, col: number) => {
    const at = img * CIFAR10_IMAGE_BYTES + (row * 32 + col) * 3;
    return [...set.x.subarray(at, at + 3)];
  };
  // Row 1, col 2 is p = 34: R 34, G 102, B 221.
  assert.deepEqual(px(0, 1, 2), [34, 102, 221]);
  // Row 31, col 31 is p = 1023: R 1023 % 256 = 255, G 3069 % 256 = 253, B 0.
  assert.deepEqual(px(1, 31, 31), [255, 253, 0]);
  // p = 0 carries the tag in R: 7 and 8; G 0, B 255.
  assert.deepEqual(px(0, 0, 0), [7, 0, 255]);
  assert.deepEqual(px(1, 0, 0), [8, 0, 255]);
});

Deno.test("cifar10 binary: bad length and bad label are errors naming the file", () => {
  assert.throws(
    () => decodeCifar10Binary(new Uint8Array(3074), "x.bin"),
    /x\.bin: 3074 bytes is not a whole number of 3073-byte/,
  );
  assert.throws(
    () => decodeCifar10Binary(record(10, 0), "y.bin"),
    /y\.bin: record 0 has label 10, expected 0\.\.9/,
  );
});

function perClass(set: ImageSet): number[] {
  const c = new Array<number>(10).fill(0);
  for (const y of set.y) c[y] = c[y]! + 1;
  return c;
}

Deno.test("cifar10 load: fake binary tarball, 50 train / 20 test, split 40/10 stratified", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dataDir, "cifar10"));
    const tarGz = gzipSync(createTar(fakeBatches(10)));
    await Deno.writeFile(
      join(dataDir, "cifar10/cifar-10-binary.tar.gz"),
      tarGz,
    );

    const first = await buildCifar10Cache(dataDir);
    assert.equal(first.built, true);
    assert.equal(first.meta.source.kind, "binary-tar");
    assert.deepEqual(first.meta.counts, { train: 50, test: 20 });
    assert.equal((await buildCifar10Cache(dataDir)).built, false);

    const s = await loadCifar10({ dataDir, seed: 3 });
    assert.deepEqual([s.train.n, s.val.n, s.test.n], [40, 10, 20]);
    // 5 per class in the training set: round(5 * 0.2) = 1 to validation.
    assert.deepEqual(perClass(s.val), new Array(10).fill(1));
    assert.deepEqual(perClass(s.train), new Array(10).fill(4));
    assert.deepEqual(perClass(s.test), new Array(10).fill(2));
    // Tags 0..49 are unique per training image: train and val are disjoint
    // and together hold every image once; each image kept its own label
    // (record tag t was written with label (batch + i) % 10).
    const tags = (set: ImageSet) =>
      Array.from({ length: set.n }, (_, i) => set.x[i * CIFAR10_IMAGE_BYTES]!);
    const all = [...tags(s.train), ...tags(s.val)].sort((a, b) => a - b);
    assert.deepEqual(all, [...Array(50).keys()]);
    for (const set of [s.train, s.val]) {
      tags(set).forEach((t, i) => {
        const batch = Math.floor(t / 10) + 1;
        assert.equal(set.y[i], (batch + (t % 10)) % 10, `tag ${t}`);
      });
    }

    const limited = await loadCifar10({
      dataDir,
      seed: 3,
      limit: { train: 5, val: 2, test: 3 },
    });
    assert.deepEqual([limited.train.n, limited.val.n, limited.test.n], [
      5,
      2,
      3,
    ]);
    assert.deepEqual(limited.train.y, s.train.y.slice(0, 5));
    assert.deepEqual(
      limited.test.x,
      s.test.x.slice(0, 3 * CIFAR10_IMAGE_BYTES),
    );
    await assert.rejects(
      loadCifar10({ dataDir, seed: 3, limit: { val: -1 } }),
      /limit\.val must be a non-negative integer, got -1/,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("cifar10 load: extracted binary folder gives the same cache as the tarball", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const dir = join(dataDir, "cifar10/cifar-10-batches-bin");
    await Deno.mkdir(dir, { recursive: true });
    for (const e of fakeBatches(4)) {
      await Deno.writeFile(join(dataDir, "cifar10", e.name), e.data);
    }
    const built = await buildCifar10Cache(dataDir);
    assert.equal(built.meta.source.kind, "binary-dir");
    const s = await loadCifar10({ dataDir, seed: 1, valFraction: 0.5 });
    assert.equal(s.train.n + s.val.n, 20);
    assert.equal(s.sourceKind, "binary-dir");
    assert.match(s.sourceSha256, /^[0-9a-f]{64}$/);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("cifar10 jpeg: image-folder tarball, 2 train + 1 test per class for 3 classes", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const entries: TarEntry[] = [];
    const expected = new Map<string, Uint8Array>();
    const classes = ["airplane", "cat", "truck"];
    for (const split of ["test", "train"]) {
      classes.forEach((cls, k) => {
        for (let i = 0; i < (split === "train" ? 2 : 1); i++) {
          const rgb = smoothImage(20 + 30 * k + 10 * i);
          const name = `${split}/${cls}/000${i}.jpg`;
          expected.set(name, rgb);
          entries.push({ name, data: jpeg(rgb) });
        }
      });
    }
    entries.unshift({ name: "README.txt", data: new Uint8Array(2) });
    await Deno.mkdir(join(dataDir, "cifar10"));
    await Deno.writeFile(
      join(dataDir, "cifar10/cifar10-jpeg.tar.gz"),
      gzipSync(createTar(entries)),
    );
    const built = await buildCifar10Cache(dataDir);
    assert.equal(built.meta.source.kind, "jpeg-tar");
    assert.deepEqual(built.meta.counts, { train: 6, test: 3 });
    assert.deepEqual(
      built.meta.perClass.train,
      CIFAR10_CLASSES.map((c) => (classes.includes(c) ? 2 : 0)),
    );

    // With valFraction 0 the train order is only shuffled: find each image
    // by label and compare with its source within JPEG tolerance (quality
    // 95, smooth content: a few levels).
    const s = await loadCifar10({ dataDir, seed: 0, valFraction: 0 });
    assert.equal(s.val.n, 0);
    for (
      const [set, split] of [[s.train, "train"], [s.test, "test"]] as const
    ) {
      for (let i = 0; i < set.n; i++) {
        const cls = CIFAR10_CLASSES[set.y[i]!]!;
        const got = set.x.subarray(
          i * CIFAR10_IMAGE_BYTES,
          (i + 1) * CIFAR10_IMAGE_BYTES,
        );
        const candidates = [...expected.entries()].filter(([n]) =>
          n.startsWith(`${split}/${cls}/`)
        );
        const best = Math.min(
          ...candidates.map(([, rgb]) => maxDiff(got, rgb)),
        );
        assert.ok(best <= 8, `${split} ${cls}: max pixel difference ${best}`);
      }
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

Deno.test("cifar10 jpeg: a class folder outside the ten classes is an error", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dataDir, "cifar10"));
    const tar = createTar([{
      name: "train/zebra/0.jpg",
      data: jpeg(smoothImage(0)),
    }]);
    await Deno.writeFile(join(dataDir, "cifar10/cifar10-jpeg.tar.gz"), tar);
    await assert.rejects(buildCifar10Cache(dataDir), /class folder "zebra"/);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("stratifiedSplit: classes of 10,15,..,55 at 0.2 -> exact per-class val counts, disjoint, seeded", () => {
  const labels: number[] = [];
  for (let c = 0; c < 10; c++) {
    for (let i = 0; i < 10 + 5 * c; i++) labels.push(c);
  }
  const y = Int32Array.from(labels);
  const a = stratifiedSplit(y, 0.2, 42);
  const expectVal = Array.from(
    { length: 10 },
    (_, c) => Math.round((10 + 5 * c) * 0.2),
  );
  const count = (idx: Int32Array) => {
    const k = new Array<number>(10).fill(0);
    for (const i of idx) k[y[i]!] = k[y[i]!]! + 1;
    return k;
  };
  assert.deepEqual(count(a.val), expectVal);
  assert.deepEqual(count(a.train), expectVal.map((v, c) => 10 + 5 * c - v));
  const all = [...a.train, ...a.val].sort((p, q) => p - q);
  assert.deepEqual(all, [...Array(y.length).keys()]);
  // Shuffled, not grouped by class: labels of train are not sorted.
  const trainLabels = [...a.train].map((i) => y[i]!);
  assert.notDeepEqual(trainLabels, [...trainLabels].sort((p, q) => p - q));

  const again = stratifiedSplit(y, 0.2, 42);
  assert.deepEqual(again, a);
  const other = stratifiedSplit(y, 0.2, 43);
  assert.notDeepEqual(other.val, a.val);
  assert.throws(
    () => stratifiedSplit(y, 1, 0),
    /valFraction must be in \[0, 1\), got 1/,
  );
});

Deno.test("toFloatNHWC / gatherFloatNHWC: [2,32,32,3] bytes scaled by 1/255", () => {
  const x = new Uint8Array(3 * CIFAR10_IMAGE_BYTES).map((_, i) => i % 256);
  const f = toFloatNHWC(x, 1, 2);
  assert.equal(f.length, 2 * CIFAR10_IMAGE_BYTES);
  // Element 0 of image 1 is byte 3072, 3072 % 256 = 0; element 5 is 5/255.
  assertClose(f.subarray(0, 6), [
    0,
    1 / 255,
    2 / 255,
    3 / 255,
    4 / 255,
    5 / 255,
  ], 1e-7);
  const out = new Float32Array(3 * CIFAR10_IMAGE_BYTES);
  const g = gatherFloatNHWC(x, [2, 0], out);
  assert.equal(g.buffer, out.buffer);
  assertClose(g.subarray(0, CIFAR10_IMAGE_BYTES), toFloatNHWC(x, 2, 1), 0);
  assertClose(g.subarray(CIFAR10_IMAGE_BYTES), toFloatNHWC(x, 0, 1), 0);
  assert.throws(
    () => toFloatNHWC(x, 2, 2),
    /images \[2, 4\) are outside \[0, 3\)/,
  );
  assert.throws(() => gatherFloatNHWC(x, [3]), /index 3 at position 0/);
  assert.throws(
    () => toFloatNHWC(x, 0, 2, new Float32Array(10)),
    /out holds 10 floats, needs 6144/,
  );
});

Deno.test("cifar10 load: no cache and no source -> error naming paths and `deno task setup`", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      loadCifar10({ dataDir, seed: 1 }),
      (e: unknown) =>
        e instanceof DataNotFoundError &&
        e.message.includes(join(dataDir, "cifar10/cifar10-jpeg.tar.gz")) &&
        e.message.includes("deno task setup"),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

const MIRROR_TAR = new URL(
  "../../../shared/data/cifar10/cifar10-jpeg.tar.gz",
  import.meta.url,
).pathname;

Deno.test({
  name:
    "cifar10 real: full decode of the mirror's JPEG tarball (set CIFAR10_FULL=1; ~30 s)",
  ignore: Deno.env.get("CIFAR10_FULL") !== "1",
  async fn() {
    const dataDir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(join(dataDir, "cifar10"));
      await Deno.copyFile(
        MIRROR_TAR,
        join(dataDir, "cifar10/cifar10-jpeg.tar.gz"),
      );
      const built = await buildCifar10Cache(dataDir);
      assert.deepEqual(built.meta.counts, { train: 50000, test: 10000 });
      assert.deepEqual(built.meta.perClass.train, new Array(10).fill(5000));
      const s = await loadCifar10({ dataDir, seed: 1 });
      assert.deepEqual([s.train.n, s.val.n, s.test.n], [40000, 10000, 10000]);
      assert.deepEqual(perClass(s.val), new Array(10).fill(1000));
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
