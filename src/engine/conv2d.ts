/**
 * Conv2D over NHWC inputs by im2col and {@link matmul}.
 *
 * For each image the patches under every output pixel are copied into a
 * matrix `[outHeight * outWidth, kh * kw * cin]` whose column order matches
 * the kernel's row-major `[kh, kw, cin, cout]` layout, so one multiply by the
 * kernel viewed as `[kh * kw * cin, cout]` yields the NHWC output directly.
 *
 * @module
 */
import { applyActivation } from "./activations.ts";
import { matmul } from "./matmul.ts";
import { expectRank, formatShape, type Tensor, tensor } from "./tensor.ts";

/** Padding modes a saved Conv2D or pooling config may carry. */
export type Padding = "same" | "valid";

/** Options of a Conv2D layer, read from its saved config. */
export interface Conv2dConfig {
  /** `[strideRows, strideCols]`. */
  strides: readonly [number, number];
  padding: Padding;
  /** Activation name as saved (`relu`, `linear`, ...). */
  activation: string;
}

/** Output size and leading (top or left) padding along one spatial axis. */
export interface AxisWindow {
  out: number;
  padBefore: number;
}

/**
 * Output size and leading padding of a window of `size` moving by `stride`
 * over `input` cells.
 *
 * `valid`: out = floor((in - size) / stride) + 1, no padding. `same`: out =
 * ceil(in / stride) and the total padding max(0, (out - 1) * stride + size -
 * in) is split with the smaller half first (top/left), as in tfjs-core
 * `conv_util.ts` `getPadAndOutInfo` (padTop = floor(total / 2)).
 *
 * @throws {RangeError} if a `valid` window does not fit the input.
 */
export function axisWindow(
  input: number,
  size: number,
  stride: number,
  padding: Padding,
): AxisWindow {
  if (padding === "same") {
    const out = Math.ceil(input / stride);
    const total = Math.max(0, (out - 1) * stride + size - input);
    return { out, padBefore: Math.floor(total / 2) };
  }
  if (size > input) {
    throw new RangeError(
      `window of ${size} does not fit an input of ${input} with valid padding`,
    );
  }
  return { out: Math.floor((input - size) / stride) + 1, padBefore: 0 };
}

/**
 * 2-D convolution (cross-correlation, as TensorFlow computes it), dilation 1.
 *
 * @param x input NHWC `[batch, height, width, cin]`.
 * @param kernel `[kh, kw, cin, cout]`.
 * @param bias `[cout]`, or undefined when the layer has `use_bias: false`.
 * @returns NHWC `[batch, outHeight, outWidth, cout]`.
 * @throws {RangeError} if the kernel's `cin` differs from the input's
 *   channels, the bias is not `[cout]`, or a stride is not a positive
 *   integer.
 */
export function conv2d(
  x: Tensor,
  kernel: Tensor,
  bias: Tensor | undefined,
  config: Conv2dConfig,
): Tensor {
  const [batch, height, width, cin] = expectRank(x, 4, "conv2d") as number[];
  const [kh, kw, kcin, cout] = expectRank(
    kernel,
    4,
    "conv2d kernel",
  ) as number[];
  checkConvArgs(x, kernel, bias, config, cin!, kcin!, cout!);

  const rows = axisWindow(height!, kh!, config.strides[0], config.padding);
  const cols = axisWindow(width!, kw!, config.strides[1], config.padding);
  const pixels = rows.out * cols.out;
  const patch = kh! * kw! * cin!;
  const out = tensor([batch!, rows.out, cols.out, cout!]);
  const patches = new Float32Array(pixels * patch);
  const imageSize = height! * width! * cin!;

  for (let b = 0; b < batch!; b++) {
    const image = x.data.subarray(b * imageSize, (b + 1) * imageSize);
    im2col(
      image,
      patches,
      [height!, width!, cin!],
      [kh!, kw!],
      rows,
      cols,
      config.strides,
    );
    const y = out.data.subarray(b * pixels * cout!, (b + 1) * pixels * cout!);
    if (bias) {
      for (let p = 0; p < pixels; p++) y.set(bias.data, p * cout!);
    }
    matmul(patches, kernel.data, y, pixels, patch, cout!, bias !== undefined);
  }

  applyActivation(config.activation, out.data, 0, out.data.length, cout!);
  return out;
}

function checkConvArgs(
  x: Tensor,
  kernel: Tensor,
  bias: Tensor | undefined,
  config: Conv2dConfig,
  cin: number,
  kcin: number,
  cout: number,
): void {
  if (kcin !== cin) {
    throw new RangeError(
      `conv2d: kernel ${formatShape(kernel.shape)} expects ${kcin} input ` +
        `channels, input ${formatShape(x.shape)} has ${cin}`,
    );
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== cout)) {
    throw new RangeError(
      `conv2d: bias ${formatShape(bias.shape)} does not match [${cout}]`,
    );
  }
  for (const s of config.strides) {
    if (!Number.isInteger(s) || s < 1) {
      throw new RangeError(
        `conv2d: strides [${config.strides.join(", ")}] must be positive ` +
          `integers`,
      );
    }
  }
}

/**
 * Fills `patches[outPixel, (ky * kw + kx) * cin + c]` for one HWC image;
 * cells that fall in the padding stay zero.
 */
function im2col(
  image: Float32Array,
  patches: Float32Array,
  [height, width, cin]: readonly [number, number, number],
  [kh, kw]: readonly [number, number],
  rows: AxisWindow,
  cols: AxisWindow,
  [strideRows, strideCols]: readonly [number, number],
): void {
  const rowLength = kw * cin;
  let dst = 0;
  for (let oy = 0; oy < rows.out; oy++) {
    const y0 = oy * strideRows - rows.padBefore;
    for (let ox = 0; ox < cols.out; ox++) {
      const x0 = ox * strideCols - cols.padBefore;
      // Columns of the window that land inside the image; the rest is pad.
      const kxFrom = Math.max(0, -x0);
      const kxTo = Math.min(kw, width - x0);
      for (let ky = 0; ky < kh; ky++) {
        const y = y0 + ky;
        if (y < 0 || y >= height || kxFrom >= kxTo) {
          patches.fill(0, dst, dst + rowLength);
        } else {
          patches.fill(0, dst, dst + kxFrom * cin);
          const src = (y * width + x0 + kxFrom) * cin;
          patches.set(
            image.subarray(src, src + (kxTo - kxFrom) * cin),
            dst + kxFrom * cin,
          );
          patches.fill(0, dst + kxTo * cin, dst + rowLength);
        }
        dst += rowLength;
      }
    }
  }
}
