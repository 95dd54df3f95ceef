/**
 * Bidirectional wrapper, following TensorFlow.js 4.22 `Bidirectional.call`
 * (`tfjs-layers/src/layers/wrappers.ts`): the wrapped layer runs twice, the
 * second copy with `go_backwards` flipped (and its own weights); with full
 * sequences the backward output is reversed back in time, then the two are
 * merged. Without full sequences each copy returns its last processed step,
 * which for the backward copy is the first time step of the input.
 *
 * tfjs does NOT zero the merged output at masked steps (Keras 3 does).
 *
 * @module
 */
import { formatShape, type Tensor, tensor } from "./tensor.ts";

/** How the two directions are combined, `merge_mode` in the saved config. */
export type MergeMode = "concat" | "sum" | "mul" | "ave" | null;

/**
 * One run of a recurrent layer: input `[batch, time, features]` and an
 * optional `[batch * time]` mask in, `[batch, time, units]` or
 * `[batch, units]` out.
 */
export type RecurrentRun = (x: Tensor, mask?: Uint8Array) => Tensor;

const MERGE_MODES: readonly MergeMode[] = ["concat", "sum", "mul", "ave", null];

/**
 * Runs a recurrent layer in both directions and merges the outputs.
 *
 * @param x input `[batch, time, features]`.
 * @param mask optional `[batch * time]`, 1 = real step; given to both runs.
 * @param runForward the wrapped layer as saved (`forward_` weights).
 * @param runBackward the same layer with `go_backwards` flipped
 *   (`backward_` weights).
 * @param mergeMode `concat` (forward first, along the last axis), `sum`,
 *   `mul`, `ave`, or `null` for `[forward, backward]` unmerged.
 * @param returnSequences the wrapped layer's `return_sequences`: outputs
 *   are `[batch, time, units]` (backward re-aligned in time) or
 *   `[batch, units]`.
 * @returns merged `[batch, (time,) units]` (`2 * units` for `concat`), or
 *   the pair when `mergeMode` is null.
 * @throws {RangeError} on an unknown merge mode, or outputs whose shapes do
 *   not agree with each other or with `returnSequences`.
 */
export function bidirectional(
  x: Tensor,
  mask: Uint8Array | undefined,
  runForward: RecurrentRun,
  runBackward: RecurrentRun,
  mergeMode: Exclude<MergeMode, null>,
  returnSequences: boolean,
): Tensor;
export function bidirectional(
  x: Tensor,
  mask: Uint8Array | undefined,
  runForward: RecurrentRun,
  runBackward: RecurrentRun,
  mergeMode: null,
  returnSequences: boolean,
): [Tensor, Tensor];
export function bidirectional(
  x: Tensor,
  mask: Uint8Array | undefined,
  runForward: RecurrentRun,
  runBackward: RecurrentRun,
  mergeMode: MergeMode,
  returnSequences: boolean,
): Tensor | [Tensor, Tensor];
export function bidirectional(
  x: Tensor,
  mask: Uint8Array | undefined,
  runForward: RecurrentRun,
  runBackward: RecurrentRun,
  mergeMode: MergeMode,
  returnSequences: boolean,
): Tensor | [Tensor, Tensor] {
  if (!MERGE_MODES.includes(mergeMode)) {
    throw new RangeError(
      `Bidirectional: unsupported merge_mode ${JSON.stringify(mergeMode)} ` +
        "(expected concat, sum, mul, ave or null)",
    );
  }
  const forward = runForward(x, mask);
  const backward = runBackward(x, mask);
  checkOutputs(forward, backward, returnSequences);

  const aligned = returnSequences ? reverseTime(backward) : backward;
  switch (mergeMode) {
    case null:
      return [forward, aligned];
    case "concat":
      return concatLastAxis(forward, aligned);
    case "sum":
      return elementwise(forward, aligned, (a, b) => a + b);
    case "mul":
      return elementwise(forward, aligned, (a, b) => a * b);
    case "ave":
      // tfjs: mul(0.5, add(y, yRev)).
      return elementwise(forward, aligned, (a, b) => 0.5 * (a + b));
  }
}

function checkOutputs(
  forward: Tensor,
  backward: Tensor,
  returnSequences: boolean,
): void {
  const rank = returnSequences ? 3 : 2;
  const axes = returnSequences ? "[batch, time, units]" : "[batch, units]";
  const outputs: [string, Tensor][] = [
    ["forward", forward],
    ["backward", backward],
  ];
  for (const [name, { shape }] of outputs) {
    if (shape.length !== rank) {
      throw new RangeError(
        `Bidirectional: ${name} output is ${formatShape(shape)}, expected ` +
          `${axes} (returnSequences = ${returnSequences})`,
      );
    }
  }
  if (formatShape(forward.shape) !== formatShape(backward.shape)) {
    throw new RangeError(
      `Bidirectional: forward output ${formatShape(forward.shape)} and ` +
        `backward output ${formatShape(backward.shape)} differ`,
    );
  }
}

/** Reverses `[batch, time, units]` along time. */
function reverseTime(t: Tensor): Tensor {
  const [batch, time, units] = t.shape as [number, number, number];
  const out = new Float32Array(t.data.length);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < time; s++) {
      const from = (b * time + s) * units;
      const to = (b * time + (time - 1 - s)) * units;
      for (let u = 0; u < units; u++) out[to + u] = t.data[from + u]!;
    }
  }
  return tensor(t.shape, out);
}

/** Joins `[..., units]` and `[..., units]` into `[..., 2 * units]`. */
function concatLastAxis(a: Tensor, b: Tensor): Tensor {
  const units = a.shape[a.shape.length - 1]!;
  const rows = a.data.length / units;
  const out = new Float32Array(2 * a.data.length);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      out[r * 2 * units + u] = a.data[r * units + u]!;
      out[r * 2 * units + units + u] = b.data[r * units + u]!;
    }
  }
  return tensor([...a.shape.slice(0, -1), 2 * units], out);
}

function elementwise(
  a: Tensor,
  b: Tensor,
  f: (x: number, y: number) => number,
): Tensor {
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!, b.data[i]!);
  return tensor(a.shape, out);
}
