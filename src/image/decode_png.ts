/**
 * A small PNG decoder for `deno task predict`: enough of the format for
 * photos and screenshots, built on `node:zlib` inflate.
 *
 * Supported (PNG specification, W3C Recommendation 2003, sections 11-12):
 * colour types 0 (gray), 2 (RGB), 3 (palette), 4 (gray + alpha) and
 * 6 (RGBA); bit depth 8, and 16 for the non-palette types (the high byte
 * is kept); all five row filters; CRC checks on every chunk.
 *
 * Not supported, each throwing a {@link PngError}: bit depths 1, 2 and 4,
 * Adam7 interlacing, and any compression or filter method other than 0.
 * Ancillary chunks (gamma, colour profiles, `tRNS` transparency) are
 * skipped, so colours are taken as stored.
 *
 * @module
 */
import { inflateSync } from "node:zlib";

/** A decoded image: 8-bit samples, row-major `[height, width, channels]`. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  readonly data: Uint8Array;
}

/** A PNG file that is malformed or uses a feature this decoder lacks. */
export class PngError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: PNG: ${message}`);
    this.name = "PngError";
  }
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Samples per pixel of each colour type, before palette expansion. */
const SAMPLES: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** True if `bytes` starts with the 8-byte PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
}

/**
 * Decodes a PNG file.
 *
 * @param bytes the whole file.
 * @param file its name, for error messages.
 * @returns 8-bit samples `[height, width, channels]`; a palette image comes
 *   back as RGB.
 * @throws {PngError} naming the file for a malformed file (bad signature,
 *   CRC, chunk length, missing IHDR/IDAT/IEND, short image data) or an
 *   unsupported feature (see the module doc).
 */
export function decodePng(bytes: Uint8Array, file = "<png>"): RawImage {
  if (!isPng(bytes)) throw new PngError(file, "missing the PNG signature");
  const chunks = readChunks(bytes, file);
  const ihdr = chunks.find((c) => c.type === "IHDR");
  if (!ihdr || chunks[0] !== ihdr) {
    throw new PngError(file, "the first chunk is not IHDR");
  }
  const header = parseHeader(ihdr.data, file);
  const idat = chunks.filter((c) => c.type === "IDAT").map((c) => c.data);
  if (idat.length === 0) throw new PngError(file, "no IDAT chunk");
  const palette = chunks.find((c) => c.type === "PLTE")?.data;
  if (header.colorType === 3 && !palette) {
    throw new PngError(file, "colour type 3 (palette) without a PLTE chunk");
  }

  let inflated: Uint8Array;
  try {
    inflated = new Uint8Array(inflateSync(concat(idat)));
  } catch (e) {
    throw new PngError(file, `cannot inflate IDAT: ${(e as Error).message}`);
  }
  const samples = unfilter(inflated, header, file);
  const eight = header.bitDepth === 16 ? highBytes(samples) : samples;
  if (header.colorType === 3) {
    return expandPalette(eight, palette!, header, file);
  }
  return {
    width: header.width,
    height: header.height,
    channels: SAMPLES[header.colorType]!,
    data: eight,
  };
}

interface Chunk {
  type: string;
  data: Uint8Array;
}

function readChunks(bytes: Uint8Array, file: string): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  let at = SIGNATURE.length;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) {
      throw new PngError(file, `truncated chunk header at byte ${at}`);
    }
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 12 + length;
    if (end > bytes.length) {
      throw new PngError(
        file,
        `chunk ${type} at byte ${at} claims ${length} bytes, the file ` +
          `has ${bytes.length - at - 12} left`,
      );
    }
    const crc = view.getUint32(at + 8 + length);
    const actual = crc32(bytes.subarray(at + 4, at + 8 + length));
    if (crc !== actual) {
      throw new PngError(
        file,
        `CRC mismatch in chunk ${type} at byte ${at}: stored ` +
          `${hex(crc)}, computed ${hex(actual)}`,
      );
    }
    chunks.push({ type, data: bytes.subarray(at + 8, at + 8 + length) });
    at = end;
    if (type === "IEND") return chunks;
  }
  throw new PngError(file, "no IEND chunk (file truncated?)");
}

function parseHeader(data: Uint8Array, file: string): Header {
  if (data.length !== 13) {
    throw new PngError(file, `IHDR has ${data.length} bytes, expected 13`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const header = {
    width: view.getUint32(0),
    height: view.getUint32(4),
    bitDepth: data[8]!,
    colorType: data[9]!,
  };
  const [compression, filter, interlace] = [data[10], data[11], data[12]];
  if (header.width === 0 || header.height === 0) {
    throw new PngError(
      file,
      `image size ${header.width}x${header.height} is empty`,
    );
  }
  if (!(header.colorType in SAMPLES)) {
    throw new PngError(
      file,
      `unknown colour type ${header.colorType} (expected 0, 2, 3, 4 or 6)`,
    );
  }
  const depths = header.colorType === 3 ? [8] : [8, 16];
  if (!depths.includes(header.bitDepth)) {
    throw new PngError(
      file,
      `bit depth ${header.bitDepth} with colour type ${header.colorType} ` +
        `is not supported (supported: ${depths.join(", ")})`,
    );
  }
  if (compression !== 0 || filter !== 0) {
    throw new PngError(
      file,
      `compression method ${compression} / filter method ${filter} is not ` +
        `supported (expected 0 / 0)`,
    );
  }
  if (interlace !== 0) {
    throw new PngError(
      file,
      `interlace method ${interlace} (Adam7) is not supported; save the ` +
        `image non-interlaced`,
    );
  }
  return header;
}

/**
 * Undoes the per-row filters (PNG spec section 9). Each row starts with a
 * filter byte; `bpp` is the byte distance to the pixel on the left.
 */
function unfilter(data: Uint8Array, h: Header, file: string): Uint8Array {
  const bpp = SAMPLES[h.colorType]! * (h.bitDepth / 8);
  const stride = h.width * bpp;
  if (data.length < h.height * (stride + 1)) {
    throw new PngError(
      file,
      `image data has ${data.length} bytes, ${h.width}x${h.height} needs ` +
        `${h.height * (stride + 1)}`,
    );
  }
  const out = new Uint8Array(h.height * stride);
  for (let row = 0; row < h.height; row++) {
    const filter = data[row * (stride + 1)]!;
    const src = data.subarray(row * (stride + 1) + 1, (row + 1) * (stride + 1));
    const cur = out.subarray(row * stride, (row + 1) * stride);
    const prev = row > 0
      ? out.subarray((row - 1) * stride, row * stride)
      : null;
    unfilterRow(filter, src, cur, prev, bpp, row, file);
  }
  return out;
}

function unfilterRow(
  filter: number,
  src: Uint8Array,
  cur: Uint8Array,
  prev: Uint8Array | null,
  bpp: number,
  row: number,
  file: string,
): void {
  for (let i = 0; i < src.length; i++) {
    const a = i >= bpp ? cur[i - bpp]! : 0;
    const b = prev ? prev[i]! : 0;
    const c = prev && i >= bpp ? prev[i - bpp]! : 0;
    let predictor: number;
    switch (filter) {
      case 0:
        predictor = 0;
        break;
      case 1:
        predictor = a;
        break;
      case 2:
        predictor = b;
        break;
      case 3:
        predictor = (a + b) >> 1;
        break;
      case 4:
        predictor = paeth(a, b, c);
        break;
      default:
        throw new PngError(
          file,
          `row ${row} has filter type ${filter}, expected 0-4`,
        );
    }
    cur[i] = (src[i]! + predictor) & 0xff;
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** 16-bit samples are big-endian; keep the most significant byte. */
function highBytes(samples: Uint8Array): Uint8Array {
  const out = new Uint8Array(samples.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = samples[2 * i]!;
  return out;
}

function expandPalette(
  indices: Uint8Array,
  palette: Uint8Array,
  h: Header,
  file: string,
): RawImage {
  if (palette.length % 3 !== 0 || palette.length === 0) {
    throw new PngError(
      file,
      `PLTE has ${palette.length} bytes, expected a multiple of 3`,
    );
  }
  const entries = palette.length / 3;
  const out = new Uint8Array(indices.length * 3);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    if (k >= entries) {
      throw new PngError(
        file,
        `pixel ${i} uses palette index ${k}, the palette has ${entries}`,
      );
    }
    out[3 * i] = palette[3 * k]!;
    out[3 * i + 1] = palette[3 * k + 1]!;
    out[3 * i + 2] = palette[3 * k + 2]!;
  }
  return { width: h.width, height: h.height, channels: 3, data: out };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), as PNG chunks use;
 * exported so tests can write valid PNG files.
 */
export function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
