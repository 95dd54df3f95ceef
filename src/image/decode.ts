/**
 * Image files to RGB pixels: PNG through the project's own decoder, JPEG
 * through npm `jpeg-js`, told apart by their leading bytes (not the file
 * name).
 *
 * @module
 */
import { decode as decodeJpeg } from "jpeg-js";
import { decodePng, isPng, type RawImage } from "./decode_png.ts";
import { resizeImage } from "./resize.ts";

/** 8-bit RGB pixels, row-major `[height, width, 3]`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** True if `bytes` starts with a JPEG start-of-image marker (FF D8 FF). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Decodes a PNG or JPEG file to RGB. Gray is copied to the three channels;
 * alpha is dropped (the colour samples are used as stored, not composited
 * over a background), since CIFAR-10 images carry no transparency.
 *
 * @param bytes the whole file.
 * @param file its name, for error messages.
 * @returns `[height, width, 3]` 8-bit RGB.
 * @throws Error naming the file for a format other than PNG or JPEG, or a
 *   file either decoder rejects (see `decode_png.ts` for what PNG lacks).
 */
export function decodeImage(bytes: Uint8Array, file = "<image>"): RgbImage {
  if (isPng(bytes)) return toRgb(decodePng(bytes, file));
  if (isJpeg(bytes)) {
    try {
      const img = decodeJpeg(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        // Limits well above any photo, so a corrupt header cannot make
        // jpeg-js allocate gigabytes.
        maxResolutionInMP: 100,
        maxMemoryUsageInMB: 512,
      });
      return { width: img.width, height: img.height, data: img.data };
    } catch (e) {
      throw new Error(`${file}: JPEG: ${(e as Error).message ?? e}`);
    }
  }
  const head = [...bytes.subarray(0, 4)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join(" ");
  throw new Error(
    `${file}: not a PNG or JPEG file (starts with bytes ${head || "none"})`,
  );
}

/** Converts gray, gray + alpha or RGBA samples to RGB. */
export function toRgb(img: RawImage): RgbImage {
  if (img.channels === 3) {
    return { width: img.width, height: img.height, data: img.data };
  }
  const pixels = img.width * img.height;
  const out = new Uint8Array(pixels * 3);
  const step = img.channels;
  const gray = img.channels <= 2;
  for (let p = 0; p < pixels; p++) {
    const from = p * step;
    out[3 * p] = img.data[from]!;
    out[3 * p + 1] = img.data[gray ? from : from + 1]!;
    out[3 * p + 2] = img.data[gray ? from : from + 2]!;
  }
  return { width: img.width, height: img.height, data: out };
}

/**
 * A model input from an image file: decoded to RGB, resized to
 * `[height, width]` (area averaging down, bilinear up; see `resize.ts`)
 * and scaled to [0, 1] as the CIFAR-10 training data (pixel / 255).
 *
 * @returns NHWC `[1, height, width, 3]` samples, flat.
 * @throws Error naming the file for an unreadable or unsupported image.
 */
export function imageToInput(
  bytes: Uint8Array,
  file: string,
  width: number,
  height: number,
): Float32Array {
  const rgb = decodeImage(bytes, file);
  const resized = resizeImage({ ...rgb, channels: 3 }, width, height);
  const out = resized.data;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / 255;
  return out;
}
