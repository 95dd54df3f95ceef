/**
 * Activation functions by the names TensorFlow.js writes into a saved config.
 *
 * Each is applied in place over `data[start, end)`. `softmax` and
 * `log_softmax` normalise each contiguous row of `axisSize` values (the last
 * axis, as tfjs's default `axis = -1`).
 *
 * @module
 */

type InPlace = (
  data: Float32Array,
  start: number,
  end: number,
  axisSize: number,
) => void;

function elementwise(f: (x: number) => number): InPlace {
  return (data, start, end) => {
    for (let i = start; i < end; i++) data[i] = f(data[i]!);
  };
}

function softmax(
  data: Float32Array,
  start: number,
  end: number,
  axisSize: number,
): void {
  checkRows(start, end, axisSize);
  for (let row = start; row < end; row += axisSize) {
    const max = rowMax(data, row, axisSize);
    let sum = 0;
    for (let i = row; i < row + axisSize; i++) {
      const e = Math.exp(data[i]! - max);
      data[i] = e;
      sum += e;
    }
    for (let i = row; i < row + axisSize; i++) data[i] = data[i]! / sum;
  }
}

/** `x - max - log(sum(exp(x - max)))` per row: stable for large logits. */
function logSoftmax(
  data: Float32Array,
  start: number,
  end: number,
  axisSize: number,
): void {
  checkRows(start, end, axisSize);
  for (let row = start; row < end; row += axisSize) {
    const max = rowMax(data, row, axisSize);
    let sum = 0;
    for (let i = row; i < row + axisSize; i++) sum += Math.exp(data[i]! - max);
    const logSum = Math.log(sum) + max;
    for (let i = row; i < row + axisSize; i++) data[i] = data[i]! - logSum;
  }
}

function rowMax(data: Float32Array, row: number, axisSize: number): number {
  let max = -Infinity;
  for (let i = row; i < row + axisSize; i++) {
    if (data[i]! > max) max = data[i]!;
  }
  return max;
}

function checkRows(start: number, end: number, axisSize: number): void {
  if (axisSize <= 0 || (end - start) % axisSize !== 0) {
    throw new RangeError(
      `softmax: range of ${end - start} values is not a whole number of ` +
        `rows of ${axisSize}`,
    );
  }
}

// tfjs-core selu_util.ts.
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALE_ALPHA = 1.7580993408473769;

// tfjs-backend-cpu Softplus.ts (after tf.nn.softplus): past these bounds
// softplus(x) equals x or exp(x) within float32 epsilon (2^-23).
const SOFTPLUS_THRESHOLD = Math.log(1.1920928955078125e-7) + 2;

function softplus(x: number): number {
  if (x < SOFTPLUS_THRESHOLD) return Math.exp(x);
  if (x > -SOFTPLUS_THRESHOLD) return x;
  return Math.log(1 + Math.exp(x));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), the
 * approximation tfjs-backend-cpu's Erf kernel uses (constants in tfjs-core
 * erf_util.ts), so `gelu` agrees with TensorFlow.js to float32 rounding.
 */
function erf(x: number): number {
  const v = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * v);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t -
        0.284496736) * t + 0.254829592) * t;
  return Math.sign(x) * (1 - poly * Math.exp(-v * v));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Every activation tfjs-layers 4.22 registers (src/activations.ts), under the
 * name a saved config carries: the class name passed through
 * `toSnakeCase` (utils/serialization_utils.ts `convertTsToPythonic`), so
 * `hardSigmoid` is saved as `hard_sigmoid` and `logSoftmax` as
 * `log_softmax`. `elu` and `swish` are saved without their alpha, which
 * tfjs fixes at 1.
 */
const ACTIVATIONS: Record<string, InPlace> = {
  linear: () => {},
  relu: elementwise((x) => (x > 0 ? x : 0)),
  relu6: elementwise((x) => Math.min(6, x > 0 ? x : 0)),
  elu: elementwise((x) => (x > 0 ? x : Math.expm1(x))),
  selu: elementwise((x) =>
    x > 0 ? SELU_SCALE * x : SELU_SCALE_ALPHA * Math.expm1(x)
  ),
  sigmoid: elementwise(sigmoid),
  // tfjs-layers backend/tfjs_backend.ts hardSigmoid: clip(0.2 x + 0.5, 0, 1),
  // not Keras 3's clip(x / 6 + 0.5, 0, 1).
  hard_sigmoid: elementwise((x) => Math.min(1, Math.max(0, 0.2 * x + 0.5))),
  tanh: elementwise(Math.tanh),
  softmax,
  log_softmax: logSoftmax,
  softplus: elementwise(softplus),
  softsign: elementwise((x) => x / (Math.abs(x) + 1)),
  swish: elementwise((x) => x * sigmoid(x)),
  mish: elementwise((x) => x * Math.tanh(softplus(x))),
  gelu: elementwise((x) => x * 0.5 * (1 + erf(x / Math.SQRT2))),
  // The tanh approximation; tfjs 4.22 registers it as `gelu_new` but its
  // loader camel-cases the saved name to `geluNew` and cannot find it.
  gelu_new: elementwise((x) =>
    0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
  ),
};

/** Names of the activations the engine knows. */
export function activationNames(): string[] {
  return Object.keys(ACTIVATIONS).sort();
}

/**
 * Applies the activation `name` in place over `data[start, end)`.
 *
 * @param data values of any shape, row-major; modified in place.
 * @param axisSize length of the last axis, used by `softmax` and
 *   `log_softmax`.
 * @throws {Error} if `name` is not a known activation.
 * @throws {RangeError} if a softmax range is not whole rows of `axisSize`.
 */
export function applyActivation(
  name: string,
  data: Float32Array,
  start = 0,
  end = data.length,
  axisSize = end - start,
): void {
  const f = ACTIVATIONS[name];
  if (!f) {
    throw new Error(
      `unsupported activation "${name}" (known: ${
        activationNames().join(", ")
      })`,
    );
  }
  f(data, start, end, axisSize);
}
