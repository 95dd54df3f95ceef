import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";

import {
  createTar,
  readTar,
  readTarFile,
  type TarEntry,
} from "../../src/data/tar.ts";

const enc = new TextEncoder();

async function collect(it: AsyncIterable<TarEntry>): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Feeds `bytes` in chunks of `size` to exercise re-assembly across chunks. */
async function* chunked(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) {
    yield bytes.subarray(i, i + size);
  }
}

const longName = `deep/${"x".repeat(120)}/file.bin`;
const entries: TarEntry[] = [
  { name: "a.txt", data: enc.encode("hello") },
  { name: "empty", data: new Uint8Array(0) },
  { name: "dir/block.bin", data: new Uint8Array(512).map((_, i) => i % 251) },
  { name: longName, data: new Uint8Array(1500).map((_, i) => (i * 7) % 256) },
];

Deno.test("tar: round trip of 4 files (0, 5, 512, 1500 bytes; 134-char name) in 7-byte chunks", async () => {
  const tar = createTar(entries);
  // 4 headers + 1 long-name header and its block + data blocks + end marker.
  assert.equal(tar.length, 512 * (5 + 1 + 0 + 1 + 1 + 3 + 2));
  const got = await collect(readTar(chunked(tar, 7), "t.tar"));
  assert.deepEqual(got.map((e) => e.name), entries.map((e) => e.name));
  got.forEach((e, i) => assert.deepEqual(e.data, entries[i]!.data));
});

Deno.test("tar: readTarFile reads .tar.gz and plain .tar from disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tar = createTar(entries);
    await Deno.writeFile(`${dir}/x.tar.gz`, gzipSync(tar));
    await Deno.writeFile(`${dir}/x.tar`, tar);
    for (const file of ["x.tar.gz", "x.tar"]) {
      const got = await collect(readTarFile(`${dir}/${file}`));
      assert.deepEqual(got.map((e) => e.name), entries.map((e) => e.name));
      assert.deepEqual(got[3]!.data, entries[3]!.data);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tar: ustar prefix field is joined to the name; directories skipped", async () => {
  const tar = createTar([{ name: "n.txt", data: enc.encode("z") }]);
  const header = tar.subarray(0, 512);
  header.set(enc.encode("pre/fix"), 345);
  header[156] = "0".charCodeAt(0);
  const dirHeader = new Uint8Array(512);
  dirHeader.set(header);
  dirHeader.set(new Uint8Array(12).fill(0), 124);
  dirHeader.set(enc.encode("00000000000\0"), 124);
  dirHeader[156] = "5".charCodeAt(0);
  for (const h of [header, dirHeader]) {
    h.fill(32, 148, 156);
    const sum = h.reduce((s, b) => s + b, 0);
    h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  }
  const withDir = new Uint8Array(512 + tar.length);
  withDir.set(dirHeader, 0);
  withDir.set(tar, 512);
  const got = await collect(readTar(chunked(withDir, 4096)));
  assert.deepEqual(got.map((e) => e.name), ["pre/fix/n.txt"]);
});

Deno.test("tar: bad checksum and truncation raise errors naming the offset", async () => {
  const tar = createTar(entries);
  const bad = tar.slice();
  bad[0] = "b".charCodeAt(0);
  await assert.rejects(
    collect(readTar(chunked(bad, 512), "bad.tar")),
    /bad\.tar: header at offset 0: header checksum \d+ != computed \d+/,
  );
  await assert.rejects(
    collect(readTar(chunked(tar.subarray(0, 700), 512), "cut.tar")),
    /cut\.tar: truncated archive/,
  );
});
