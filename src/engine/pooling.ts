/**
 * 2-D pooling over NHWC inputs: max and average windows, and their global
 * forms over the whole image.
 *
 * Windows follow tfjs-backend-cpu `utils/pool_utils.ts`: only cells inside
 * the image take part, so `same` padding never contributes a value, and the
 * average divides by the number of real cells under the window.
 *
 * @module
 */
import { type AxisWindow, axisWindow, type Padding } from "./conv2d.ts";
import { expectRank, type Tensor, tensor } from "./tensor.ts";

/** Options of a MaxPooling2D or AveragePooling2D layer. */
export interface Pool2dConfig {
  /** `[poolRows, poolCols]`. */
  poolSize: readonly [number, number];
  /** `[strideRows, strideCols]`; a saved config with `strides: null` means
   * the pool size (tfjs-layers `Pooling2D` constructor). */
  strides: readonly [number, number];
  padding: Padding;
}

/**
 * Max pooling.
 *
 * @param x NHWC `[batch, height, width, channels]`.
 * @returns NHWC `[batch, outHeight, outWidth, channels]`.
 * @throws {RangeError} on a non-positive pool size or stride, or a `valid`
 *   window larger than the input.
 */
export function maxPool2d(x: Tensor, config: Pool2dConfig): Tensor {
  return pool2d(x, config, "max");
}

/**
 * Average pooling; with `same` padding the divisor counts only the cells
 * inside the image.
 *
 * @param x NHWC `[batch, height, width, channels]`.
 * @returns NHWC `[batch, outHeight, outWidth, channels]`.
 * @throws {RangeError} as {@link maxPool2d}.
 */
export function avgPool2d(x: Tensor, config: Pool2dConfig): Tensor {
  return pool2d(x, config, "avg");
}

function pool2d(x: Tensor, config: Pool2dConfig, kind: "max" | "avg"): Tensor {
  const [batch, height, width, channels] = expectRank(
    x,
    4,
    `${kind} pooling`,
  ) as number[];
  for (const v of [...config.poolSize, ...config.strides]) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(
        `${kind} pooling: pool size [${config.poolSize.join(", ")}] and ` +
          `strides [${config.strides.join(", ")}] must be positive integers`,
      );
    }
  }
  const [ph, pw] = config.poolSize;
  const rows = axisWindow(height!, ph, config.strides[0], config.padding);
  const cols = axisWindow(width!, pw, config.strides[1], config.padding);
  const out = tensor([batch!, rows.out, cols.out, channels!]);

  const dims = [height!, width!, channels!] as const;
  for (let b = 0; b < batch!; b++) {
    poolImage(x.data, out.data, b, dims, config, rows, cols, kind);
  }
  return out;
}

function poolImage(
  src: Float32Array,
  dst: Float32Array,
  b: number,
  [height, width, channels]: readonly [number, number, number],
  config: Pool2dConfig,
  rows: AxisWindow,
  cols: AxisWindow,
  kind: "max" | "avg",
): void {
  const [ph, pw] = config.poolSize;
  const [strideRows, strideCols] = config.strides;
  const imageOffset = b * height * width * channels;
  let o = b * rows.out * cols.out * channels;
  for (let oy = 0; oy < rows.out; oy++) {
    const y0 = oy * strideRows - rows.padBefore;
    const yFrom = Math.max(0, y0);
    const yTo = Math.min(height, y0 + ph);
    for (let ox = 0; ox < cols.out; ox++) {
      const x0 = ox * strideCols - cols.padBefore;
      const xFrom = Math.max(0, x0);
      const xTo = Math.min(width, x0 + pw);
      const count = (yTo - yFrom) * (xTo - xFrom);
      for (let c = 0; c < channels; c++) {
        let acc = kind === "max" ? -Infinity : 0;
        for (let y = yFrom; y < yTo; y++) {
          let i = imageOffset + (y * width + xFrom) * channels + c;
          for (let xx = xFrom; xx < xTo; xx++, i += channels) {
            const v = src[i]!;
            if (kind === "avg") acc += v;
            else if (v > acc) acc = v;
          }
        }
        dst[o++] = kind === "avg" ? acc / count : acc;
      }
    }
  }
}

/**
 * Mean over the spatial axes.
 *
 * @param x NHWC `[batch, height, width, channels]`.
 * @returns `[batch, channels]`.
 */
export function globalAvgPool2d(x: Tensor): Tensor {
  return globalPool2d(x, "avg");
}

/**
 * Maximum over the spatial axes.
 *
 * @param x NHWC `[batch, height, width, channels]`.
 * @returns `[batch, channels]`.
 */
export function globalMaxPool2d(x: Tensor): Tensor {
  return globalPool2d(x, "max");
}

/**
 * Mean over time (GlobalAveragePooling1D). Every step counts: like
 * TensorFlow.js's layer, this one knows no mask.
 *
 * @param x `[batch, time, features]`.
 * @returns `[batch, features]`.
 */
export function globalAvgPool1d(x: Tensor): Tensor {
  return globalPool1d(x, "avg");
}

/**
 * Maximum over time (GlobalMaxPooling1D), every step included.
 *
 * @param x `[batch, time, features]`.
 * @returns `[batch, features]`.
 */
export function globalMaxPool1d(x: Tensor): Tensor {
  return globalPool1d(x, "max");
}

function globalPool1d(x: Tensor, kind: "max" | "avg"): Tensor {
  const [batch, time, features] = expectRank(
    x,
    3,
    `global ${kind} pooling 1D`,
  ) as number[];
  // A sequence is a one-column image: the same reduction over the cells.
  return globalPool(x.data, batch!, time!, features!, kind);
}

function globalPool2d(x: Tensor, kind: "max" | "avg"): Tensor {
  const [batch, height, width, channels] = expectRank(
    x,
    4,
    `global ${kind} pooling`,
  ) as number[];
  return globalPool(x.data, batch!, height! * width!, channels!, kind);
}

/** Reduces `[batch, cells, channels]` over its middle axis. */
function globalPool(
  data: Float32Array,
  batch: number,
  cells: number,
  channels: number,
  kind: "max" | "avg",
): Tensor {
  const out = tensor([batch, channels]);
  out.data.fill(kind === "max" ? -Infinity : 0);

  for (let b = 0; b < batch; b++) {
    const o = b * channels;
    let i = b * cells * channels;
    for (let cell = 0; cell < cells; cell++) {
      for (let c = 0; c < channels; c++, i++) {
        const v = data[i]!;
        if (kind === "avg") out.data[o + c] = out.data[o + c]! + v;
        else if (v > out.data[o + c]!) out.data[o + c] = v;
      }
    }
  }

  if (kind === "avg") {
    for (let i = 0; i < out.data.length; i++) {
      out.data[i] = out.data[i]! / cells;
    }
  }
  return out;
}
