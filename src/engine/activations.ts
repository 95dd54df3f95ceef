/**
 * Activation functions by the names TensorFlow.js writes into a saved config.
 *
 * Each is applied in place over `data[start, end)`. `softmax` normalises each
 * contiguous row of `axisSize` values (the last axis).
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
  for (let row = start; row < end; row += axisSize) {
    let max = -Infinity;
    for (let i = row; i < row + axisSize; i++) max = Math.max(max, data[i]!);
    let sum = 0;
    for (let i = row; i < row + axisSize; i++) {
      const e = Math.exp(data[i]! - max);
      data[i] = e;
      sum += e;
    }
    for (let i = row; i < row + axisSize; i++) data[i] = data[i]! / sum;
  }
}

// TODO(engine): complete the list TensorFlow.js can save and cite its source.
const ACTIVATIONS: Record<string, InPlace> = {
  linear: () => {},
  relu: elementwise((x) => (x > 0 ? x : 0)),
  sigmoid: elementwise((x) => 1 / (1 + Math.exp(-x))),
  // TensorFlow.js: clip(0.2 x + 0.5, 0, 1), not Keras 3's x / 6 + 0.5.
  hard_sigmoid: elementwise((x) => Math.min(1, Math.max(0, 0.2 * x + 0.5))),
  tanh: elementwise(Math.tanh),
  softmax,
};

/** Names of the activations the engine knows. */
export function activationNames(): string[] {
  return Object.keys(ACTIVATIONS).sort();
}

/**
 * Applies the activation `name` in place over `data[start, end)`.
 *
 * @param axisSize length of the last axis, used by `softmax`.
 * @throws {Error} if `name` is not a known activation.
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
