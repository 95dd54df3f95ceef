/**
 * Fixtures shared by the data tests: fake CIFAR-10 binary records and
 * archives, and small JPEGs.
 *
 * @module
 */
import { encode as encodeJpeg } from "jpeg-js";

import { CIFAR10_IMAGE_BYTES } from "../../src/data/cifar10.ts";
import type { TarEntry } from "../../src/data/tar.ts";

const PLANE = 1024;

/**
 * One binary record: label, then R, G, B planes. Pixel p (row-major) has
 * R = p % 256, G = (3p) % 256, B = 255 - p % 256, except that R at p = 0
 * carries `tag` so a test can tell images apart.
 */
export function record(label: number, tag: number): Uint8Array {
  const rec = new Uint8Array(1 + 3 * PLANE);
  rec[0] = label;
  for (let p = 0; p < PLANE; p++) {
    rec[1 + p] = p % 256;
    rec[1 + PLANE + p] = (3 * p) % 256;
    rec[1 + 2 * PLANE + p] = 255 - (p % 256);
  }
  rec[1] = tag;
  return rec;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** 5 train batches of `perBatch` records and a test batch of 20. */
export function fakeBatches(perBatch: number): TarEntry[] {
  const entries: TarEntry[] = [];
  let tag = 0;
  for (let b = 1; b <= 5; b++) {
    const recs = Array.from(
      { length: perBatch },
      (_, i) => record((b + i) % 10, tag++ % 256),
    );
    entries.push({
      name: `cifar-10-batches-bin/data_batch_${b}.bin`,
      data: concat(recs),
    });
  }
  const test = Array.from({ length: 20 }, (_, i) => record(i % 10, 200 + i));
  entries.push({
    name: "cifar-10-batches-bin/test_batch.bin",
    data: concat(test),
  });
  entries.push({
    name: "cifar-10-batches-bin/readme.html",
    data: new Uint8Array(3),
  });
  return entries;
}

/** A 32x32 RGB image: a smooth gradient shifted by `base`. */
export function smoothImage(base: number): Uint8Array {
  const rgb = new Uint8Array(CIFAR10_IMAGE_BYTES);
  for (let r = 0; r < 32; r++) {
    for (let c = 0; c < 32; c++) {
      const at = (r * 32 + c) * 3;
      rgb[at] = base + 2 * r;
      rgb[at + 1] = base + 2 * c;
      rgb[at + 2] = 160 - base;
    }
  }
  return rgb;
}

export function jpeg(rgb: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(32 * 32 * 4);
  for (let p = 0; p < 1024; p++) {
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return new Uint8Array(
    encodeJpeg({ data: rgba, width: 32, height: 32 }, 95).data,
  );
}
