import assert from "node:assert/strict";
import { crc32 as nodeCrc32, deflateSync } from "node:zlib";
import { encode as encodeJpeg } from "jpeg-js";
import { crc32, decodePng, PngError } from "../../src/image/decode_png.ts";
import { decodeImage, imageToInput, toRgb } from "../../src/image/decode.ts";
import { axisTaps, resizeImage } from "../../src/image/resize.ts";
import { assertClose } from "../_util/assert.ts";

// ---------------------------------------------------------------------------
// A minimal PNG writer: one IDAT, the filter given per row.

interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth?: number;
  /** Unfiltered sample bytes, `[height, width * bytesPerPixel]`. */
  samples: Uint8Array;
  /** Filter type of each row (cycled); default none. */
  filters?: number[];
  palette?: number[];
  interlace?: number;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, nodeCrc32(out.subarray(4, 8 + data.length)));
  return out;
}

function filterRow(
  type: number,
  row: Uint8Array,
  prev: Uint8Array | null,
  bpp: number,
): Uint8Array {
  const out = new Uint8Array(row.length);
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = prev ? prev[i]! : 0;
    const c = prev && i >= bpp ? prev[i - bpp]! : 0;
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    const predictor = [0, a, b, (a + b) >> 1, paeth][type]!;
    out[i] = (row[i]! - predictor) & 0xff;
  }
  return out;
}

function encodePng(spec: PngSpec): Uint8Array {
  const depth = spec.bitDepth ?? 8;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[spec.colorType];
  const bpp = channels * depth / 8;
  const stride = spec.width * bpp;
  const raw = new Uint8Array(spec.height * (stride + 1));
  const filters = spec.filters ?? [0];
  for (let y = 0; y < spec.height; y++) {
    const type = filters[y % filters.length]!;
    const row = spec.samples.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0
      ? spec.samples.subarray((y - 1) * stride, y * stride)
      : null;
    raw[y * (stride + 1)] = type;
    raw.set(filterRow(type, row, prev, bpp), y * (stride + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, spec.width);
  view.setUint32(4, spec.height);
  ihdr.set([depth, spec.colorType, 0, 0, spec.interlace ?? 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    ...(spec.palette ? [chunk("PLTE", Uint8Array.from(spec.palette))] : []),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Seeded bytes, so every filter sees varied neighbours. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

// ---------------------------------------------------------------------------
// PNG decoding.

Deno.test("crc32 matches the standard check value of '123456789' (0xCBF43926)", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

for (const filter of [0, 1, 2, 3, 4]) {
  Deno.test(`decodePng: RGB 8-bit 5x4, every row filter ${filter}, round trips`, () => {
    const samples = bytes(5 * 4 * 3, 17 + filter);
    const png = encodePng({
      width: 5,
      height: 4,
      colorType: 2,
      samples,
      filters: [filter],
    });
    const img = decodePng(png, "f.png");
    assert.deepEqual([img.width, img.height, img.channels], [5, 4, 3]);
    assert.deepEqual([...img.data], [...samples]);
  });
}

Deno.test("decodePng: RGBA 8-bit 3x3 with mixed filters [4,3,1] round trips", () => {
  const samples = bytes(3 * 3 * 4, 5);
  const png = encodePng({
    width: 3,
    height: 3,
    colorType: 6,
    samples,
    filters: [4, 3, 1],
  });
  const img = decodePng(png);
  assert.equal(img.channels, 4);
  assert.deepEqual([...img.data], [...samples]);
});

Deno.test("decodePng: gray 8-bit 2x2 -> channels 1; toRgb copies gray to R, G, B", () => {
  const png = encodePng({
    width: 2,
    height: 2,
    colorType: 0,
    samples: Uint8Array.from([0, 64, 128, 255]),
    filters: [2],
  });
  const img = decodePng(png);
  assert.equal(img.channels, 1);
  assert.deepEqual([...toRgb(img).data], [
    0,
    0,
    0,
    64,
    64,
    64,
    128,
    128,
    128,
    255,
    255,
    255,
  ]);
});

Deno.test("decodePng: gray+alpha 2x1 -> RGB drops alpha", () => {
  const png = encodePng({
    width: 2,
    height: 1,
    colorType: 4,
    samples: Uint8Array.from([10, 255, 200, 0]),
  });
  assert.deepEqual([...toRgb(decodePng(png)).data], [
    10,
    10,
    10,
    200,
    200,
    200,
  ]);
});

Deno.test("decodePng: palette 3x1 with 2 entries expands to RGB", () => {
  const png = encodePng({
    width: 3,
    height: 1,
    colorType: 3,
    samples: Uint8Array.from([1, 0, 1]),
    palette: [255, 0, 0, 0, 0, 255],
  });
  const img = decodePng(png);
  assert.equal(img.channels, 3);
  assert.deepEqual([...img.data], [0, 0, 255, 255, 0, 0, 0, 0, 255]);
});

Deno.test("decodePng: 16-bit RGB 1x2 keeps the high byte of each sample", () => {
  // Big-endian samples 0x1234, 0xABCD, 0x00FF | 0xFF00, 0x0001, 0x8080.
  const samples = Uint8Array.from([
    0x12,
    0x34,
    0xab,
    0xcd,
    0x00,
    0xff,
    0xff,
    0x00,
    0x00,
    0x01,
    0x80,
    0x80,
  ]);
  const png = encodePng({
    width: 1,
    height: 2,
    colorType: 2,
    bitDepth: 16,
    samples,
    filters: [1, 4],
  });
  assert.deepEqual([...decodePng(png).data], [0x12, 0xab, 0x00, 0xff, 0, 0x80]);
});

Deno.test("decodePng: rejects bad signature, CRC, Adam7, bit depth 4, palette index, short data", () => {
  const good = encodePng({
    width: 2,
    height: 2,
    colorType: 2,
    samples: bytes(12, 1),
  });
  assert.throws(
    () => decodePng(new Uint8Array(20), "a.png"),
    /a\.png: PNG: missing the PNG signature/,
  );

  const badCrc = good.slice();
  badCrc[20] = badCrc[20]! ^ 1; // inside IHDR's data
  assert.throws(
    () => decodePng(badCrc, "b.png"),
    /b\.png: .*CRC mismatch in chunk IHDR/,
  );

  const adam7 = encodePng({
    width: 2,
    height: 2,
    colorType: 2,
    samples: bytes(12, 1),
    interlace: 1,
  });
  assert.throws(
    () => decodePng(adam7, "c.png"),
    /interlace method 1 \(Adam7\) is not supported/,
  );

  const depth4 = encodePng({
    width: 2,
    height: 1,
    colorType: 0,
    bitDepth: 4,
    samples: Uint8Array.from([0x12]),
  });
  assert.throws(
    () => decodePng(depth4, "d.png"),
    /bit depth 4 with colour type 0 is not supported/,
  );

  const palette = encodePng({
    width: 1,
    height: 1,
    colorType: 3,
    samples: Uint8Array.from([2]),
    palette: [1, 2, 3],
  });
  assert.throws(
    () => decodePng(palette, "e.png"),
    /palette index 2, the palette has 1/,
  );

  const truncated = good.subarray(0, good.length - 12); // IEND cut off
  assert.throws(() => decodePng(truncated, "f.png"), /no IEND chunk/);
});

Deno.test("decodePng: a PNG error is a PngError", () => {
  assert.throws(() => decodePng(new Uint8Array(8)), PngError);
});

// ---------------------------------------------------------------------------
// decodeImage: format detection and JPEG.

Deno.test("decodeImage: JPEG 16x16 of flat (200, 100, 50) via jpeg-js decodes within 3", () => {
  const rgba = new Uint8Array(16 * 16 * 4);
  for (let p = 0; p < 256; p++) rgba.set([200, 100, 50, 255], 4 * p);
  const jpeg = new Uint8Array(
    encodeJpeg({ width: 16, height: 16, data: rgba }, 100).data,
  );
  const img = decodeImage(jpeg, "flat.jpg");
  assert.deepEqual([img.width, img.height, img.data.length], [16, 16, 768]);
  const expected = Array.from(
    { length: 768 },
    (_, i) => [200, 100, 50][i % 3]!,
  );
  assertClose(img.data, expected, 3);
});

Deno.test("decodeImage: a GIF header is refused naming the file and its bytes", () => {
  const gif = new TextEncoder().encode("GIF89a....");
  assert.throws(
    () => decodeImage(gif, "cat.gif"),
    /cat\.gif: not a PNG or JPEG file \(starts with bytes 47 49 46 38\)/,
  );
});

Deno.test("decodeImage: a PNG file named .jpg is decoded as PNG (by content)", () => {
  const png = encodePng({
    width: 1,
    height: 1,
    colorType: 2,
    samples: Uint8Array.from([1, 2, 3]),
  });
  assert.deepEqual([...decodeImage(png, "x.jpg").data], [1, 2, 3]);
});

// ---------------------------------------------------------------------------
// Resizing.

Deno.test("axisTaps: area 4->2 averages pairs", () => {
  assert.deepEqual(axisTaps(4, 2), [
    { index: [0, 1], weight: [0.5, 0.5] },
    { index: [2, 3], weight: [0.5, 0.5] },
  ]);
});

Deno.test("axisTaps: area 3->2 covers p1 half each: (p0 + 0.5 p1) / 1.5", () => {
  const taps = axisTaps(3, 2);
  assert.deepEqual(taps.map((t) => t.index), [[0, 1], [1, 2]]);
  assertClose(taps[0]!.weight, [2 / 3, 1 / 3], 1e-12);
  assertClose(taps[1]!.weight, [1 / 3, 2 / 3], 1e-12);
});

Deno.test("axisTaps: bilinear 2->4 samples -0.25, 0.25, 0.75, 1.25 (clamped)", () => {
  assert.deepEqual(axisTaps(2, 4), [
    { index: [0], weight: [1] },
    { index: [0, 1], weight: [0.75, 0.25] },
    { index: [0, 1], weight: [0.25, 0.75] },
    { index: [1], weight: [1] },
  ]);
});

Deno.test("axisTaps: same size 3->3 is the identity; bad sizes throw", () => {
  assert.deepEqual(axisTaps(3, 3).map((t) => t.index), [[0], [1], [2]]);
  assert.throws(() => axisTaps(0, 2), /size 0 is not an integer >= 1/);
  assert.throws(() => axisTaps(2, 1.5), /target 1.5 is not an integer >= 1/);
});

Deno.test("resizeImage: 4x4x1 -> 2x2x1 area gives the 2x2 block means", () => {
  // Rows: 0 1 2 3 / 4 5 6 7 / 8 9 10 11 / 12 13 14 15.
  // Top-left block (0+1+4+5)/4 = 2.5, top-right (2+3+6+7)/4 = 4.5,
  // bottom-left (8+9+12+13)/4 = 10.5, bottom-right 12.5.
  const data = Float32Array.from({ length: 16 }, (_, i) => i);
  const out = resizeImage({ width: 4, height: 4, channels: 1, data }, 2, 2);
  assertClose(out.data, [2.5, 4.5, 10.5, 12.5], 1e-6);
});

Deno.test("resizeImage: 3x1x2 -> 2x1x2 area keeps channels apart", () => {
  // Channel 0: 0, 3, 6 -> (0 + 1.5) / 1.5 = 1, (1.5 + 6) / 1.5 = 5.
  // Channel 1: 10, 10, 10 -> 10, 10.
  const data = Float32Array.from([0, 10, 3, 10, 6, 10]);
  const out = resizeImage({ width: 3, height: 1, channels: 2, data }, 2, 1);
  assertClose(out.data, [1, 10, 5, 10], 1e-5);
});

Deno.test("resizeImage: 2x1x1 [0, 8] -> 4x2x1 bilinear rows [0, 2, 6, 8]", () => {
  const data = Float32Array.from([0, 8]);
  const out = resizeImage({ width: 2, height: 1, channels: 1, data }, 4, 2);
  assertClose(out.data, [0, 2, 6, 8, 0, 2, 6, 8], 1e-6);
});

Deno.test("resizeImage: data length not matching [h, w, c] throws with both", () => {
  assert.throws(
    () =>
      resizeImage(
        { width: 2, height: 2, channels: 3, data: new Float32Array(11) },
        1,
        1,
      ),
    /11 samples do not fit \[2, 2, 3\] \(12\)/,
  );
});

Deno.test("imageToInput: 64x48 PNG of flat (255, 0, 51) -> [1,32,32,3] of (1, 0, 0.2)", () => {
  const samples = new Uint8Array(64 * 48 * 3);
  for (let p = 0; p < 64 * 48; p++) samples.set([255, 0, 51], 3 * p);
  const png = encodePng({
    width: 64,
    height: 48,
    colorType: 2,
    samples,
    filters: [1, 2, 3, 4],
  });
  const x = imageToInput(png, "flat.png", 32, 32);
  const expected = Array.from(
    { length: 32 * 32 * 3 },
    (_, i) => [1, 0, 0.2][i % 3]!,
  );
  assertClose(x, expected, 1e-6);
});
