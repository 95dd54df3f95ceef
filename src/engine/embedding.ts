/**
 * Embedding lookup and the `mask_zero` mask, as TensorFlow.js 4.22
 * `Embedding` (`tfjs-layers/src/layers/embeddings.ts`): `call` gathers rows
 * of the `embeddings` matrix, `computeMask` is `notEqual(ids, 0)`.
 *
 * @module
 */
import { formatShape, sizeOf, type Tensor, tensor } from "./tensor.ts";

/**
 * Looks up one row of `embeddings` per token id.
 *
 * tfjs casts float ids to int32, truncating fractions, and its cpu
 * `GatherV2` asserts each id is in `[0, vocab)`; here a fractional id throws
 * too, since it means the tokenizer and the model disagree.
 *
 * @param ids token ids `[batch, time]`, whole numbers stored as float32.
 * @param embeddings table `[vocab, dim]`.
 * @returns `[batch, time, dim]`.
 * @throws {RangeError} on a bad shape, or an id that is not an integer in
 *   `[0, vocab)`, naming the id and its `[batch, time]` position.
 */
export function embedding(ids: Tensor, embeddings: Tensor): Tensor {
  checkRank2("ids", "[batch, time]", ids);
  checkRank2("embeddings", "[vocab, dim]", embeddings);
  const [batch, time] = ids.shape as [number, number];
  const [vocab, dim] = embeddings.shape as [number, number];

  const out = new Float32Array(batch * time * dim);
  const table = embeddings.data;
  for (let p = 0; p < batch * time; p++) {
    const id = ids.data[p]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new RangeError(
        `Embedding: id ${id} at [batch ${Math.floor(p / time)}, time ` +
          `${p % time}] is not an integer in [0, ${vocab})`,
      );
    }
    const from = id * dim;
    const to = p * dim;
    for (let d = 0; d < dim; d++) out[to + d] = table[from + d]!;
  }
  return tensor([batch, time, dim], out);
}

/**
 * The mask an Embedding with `mask_zero` passes on: 1 for a real token, 0
 * for id 0 (padding).
 *
 * @param ids token ids `[batch, time]`.
 * @returns `[batch * time]` row-major, for the recurrent layers' `mask`.
 * @throws {RangeError} if `ids` is not `[batch, time]`.
 */
export function maskFromIds(ids: Tensor): Uint8Array {
  checkRank2("ids", "[batch, time]", ids);
  const mask = new Uint8Array(ids.data.length);
  for (let p = 0; p < mask.length; p++) mask[p] = ids.data[p] !== 0 ? 1 : 0;
  return mask;
}

function checkRank2(what: string, axes: string, t: Tensor): void {
  if (t.shape.length !== 2) {
    throw new RangeError(
      `Embedding: ${what} must be ${axes}, got ${formatShape(t.shape)}`,
    );
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new RangeError(
      `Embedding: ${what} data has ${t.data.length} values, shape ` +
        `${formatShape(t.shape)} needs ${sizeOf(t.shape)}`,
    );
  }
}
