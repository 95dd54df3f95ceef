/**
 * Resizing pixels to a model's input size, one axis at a time.
 *
 * Each axis gets its own linear filter, chosen by direction:
 * - shrinking uses area averaging: output pixel `i` of `out` covers the
 *   source interval `[i * s, (i + 1) * s)` with `s = in / out`, and is the
 *   mean of the source pixels weighted by how much of each the interval
 *   covers (a 4 -> 2 resize averages pairs; 3 -> 2 gives
 *   `(p0 + 0.5 p1) / 1.5` and `(0.5 p1 + p2) / 1.5`). Every source pixel
 *   counts, so fine detail is averaged rather than aliased;
 * - growing (or keeping the size) uses bilinear interpolation with
 *   half-pixel centres: output `i` samples source position
 *   `(i + 0.5) * s - 0.5`, clamped to the edge pixels (as
 *   `tf.image.resizeBilinear` with `halfPixelCenters: true`). An unchanged
 *   size is the identity.
 *
 * The whole image is squeezed into the target size: the aspect ratio is
 * not kept and nothing is cropped.
 *
 * @module
 */

/** Float pixels, row-major `[height, width, channels]`. */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/** One output pixel's source indices and weights along one axis. */
export interface Taps {
  readonly index: number[];
  readonly weight: number[];
}

/**
 * The filter taps for resizing one axis from `size` to `target` pixels:
 * area averaging when shrinking, bilinear when growing (module doc).
 *
 * @throws {RangeError} unless both sizes are positive integers.
 */
export function axisTaps(size: number, target: number): Taps[] {
  for (const [name, n] of [["size", size], ["target", target]] as const) {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`axisTaps: ${name} ${n} is not an integer >= 1`);
    }
  }
  return target < size ? areaTaps(size, target) : bilinearTaps(size, target);
}

function areaTaps(size: number, target: number): Taps[] {
  const scale = size / target;
  const taps: Taps[] = [];
  for (let i = 0; i < target; i++) {
    const start = i * scale;
    const end = (i + 1) * scale;
    const index: number[] = [];
    const weight: number[] = [];
    for (let k = Math.floor(start); k < Math.min(size, Math.ceil(end)); k++) {
      const covered = Math.min(end, k + 1) - Math.max(start, k);
      if (covered <= 0) continue;
      index.push(k);
      weight.push(covered / scale);
    }
    taps.push({ index, weight });
  }
  return taps;
}

function bilinearTaps(size: number, target: number): Taps[] {
  const scale = size / target;
  const taps: Taps[] = [];
  for (let i = 0; i < target; i++) {
    const at = Math.min(size - 1, Math.max(0, (i + 0.5) * scale - 0.5));
    const lo = Math.floor(at);
    const frac = at - lo;
    taps.push(
      frac === 0 || lo + 1 >= size
        ? { index: [lo], weight: [1] }
        : { index: [lo, lo + 1], weight: [1 - frac, frac] },
    );
  }
  return taps;
}

/**
 * Resizes `[height, width, channels]` pixels to `[targetHeight,
 * targetWidth, channels]` (module doc: area averaging down, bilinear up),
 * first along the width, then along the height.
 *
 * @param pixels 8-bit or float samples, `[height, width, channels]`.
 * @returns float samples on the same scale as the input.
 * @throws {RangeError} if `pixels.data` does not hold
 *   `height * width * channels` samples or a size is not a positive integer.
 */
export function resizeImage(
  pixels: {
    width: number;
    height: number;
    channels: number;
    data: ArrayLike<number>;
  },
  targetWidth: number,
  targetHeight: number,
): FloatImage {
  const { width, height, channels, data } = pixels;
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `resizeImage: ${data.length} samples do not fit [${height}, ${width}, ` +
        `${channels}] (${width * height * channels})`,
    );
  }
  const colTaps = axisTaps(width, targetWidth);
  const rowTaps = axisTaps(height, targetHeight);

  // Along the width: [height, width, c] -> [height, targetWidth, c].
  const wide = new Float32Array(height * targetWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < targetWidth; x++) {
      const { index, weight } = colTaps[x]!;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let t = 0; t < index.length; t++) {
          sum += weight[t]! * data[(y * width + index[t]!) * channels + c]!;
        }
        wide[(y * targetWidth + x) * channels + c] = sum;
      }
    }
  }

  // Along the height: -> [targetHeight, targetWidth, c].
  const out = new Float32Array(targetHeight * targetWidth * channels);
  const rowSize = targetWidth * channels;
  for (let y = 0; y < targetHeight; y++) {
    const { index, weight } = rowTaps[y]!;
    for (let i = 0; i < rowSize; i++) {
      let sum = 0;
      for (let t = 0; t < index.length; t++) {
        sum += weight[t]! * wide[index[t]! * rowSize + i]!;
      }
      out[y * rowSize + i] = sum;
    }
  }
  return { width: targetWidth, height: targetHeight, channels, data: out };
}
