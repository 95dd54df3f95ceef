/**
 * A TypeScript equivalent of Keras 3 `TextVectorization` with its default
 * options (`standardize="lower_and_strip_punctuation"`,
 * `split="whitespace"`, `output_mode="int"`), so that a vocabulary adapted
 * here encodes text exactly as the Keras layer would.
 *
 * Semantics, read from keras/src/layers/preprocessing/
 * text_vectorization.py (`_preprocess`, `call`) and index_lookup.py
 * (`finalize_state`):
 * - Lower-casing is `tf.strings.lower` with its default empty encoding,
 *   which lower-cases ASCII letters only: "É" stays "É".
 * - Stripping removes the 32 ASCII punctuation characters of Keras's regex
 *   `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']` (the `,-\.` in it is the
 *   range `,` `-` `.`), also inside words ("don't" becomes "dont");
 *   non-ASCII punctuation such as "“" or "…" stays.
 * - Splitting is `tf.strings.split` without a separator: runs of ASCII
 *   whitespace (space, \t, \n, \v, \f, \r) separate tokens, leading and
 *   trailing whitespace gives no empty token
 *   (tensorflow/core/kernels/string_split_op.cc, `SplitV2`).
 * - The vocabulary is index 0 = "" (padding), 1 = "[UNK]", then the tokens
 *   by descending count, ties broken by the token's UTF-8 bytes in
 *   descending order (`np.lexsort((tokens, counts))[::-1]`), cut so that the
 *   whole vocabulary, both special tokens included, has at most `maxTokens`
 *   entries.
 * - Encoding maps unknown tokens to 1, keeps the first
 *   `outputSequenceLength` tokens and pads with 0 at the end.
 *
 * @module
 */

/** Options of the vectorizer, named as in Keras (camelCase). */
export interface VectorizerConfig {
  /** Largest vocabulary size, "" and "[UNK]" included; all tokens if unset. */
  maxTokens?: number;
  /** Length of every encoded sequence (pad or truncate at the end). */
  outputSequenceLength: number;
}

/** The padding token, index 0. */
export const PAD_TOKEN = "";
/** The out-of-vocabulary token, index 1. */
export const OOV_TOKEN = "[UNK]";

const PAD_INDEX = 0;
const OOV_INDEX = 1;

/** The 32 ASCII punctuation characters of Keras's DEFAULT_STRIP_REGEX. */
const STRIP = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;
/** ASCII whitespace as TensorFlow's `isspace`; not \p{White_Space}. */
const WHITESPACE = /[ \t\n\v\f\r]+/;
/** ASCII capitals only, as `tf.strings.lower` with encoding "". */
const ASCII_UPPER = /[A-Z]+/g;

const encoder = new TextEncoder();

/**
 * Lower-cases ASCII letters and removes ASCII punctuation, as Keras's
 * `lower_and_strip_punctuation`.
 */
export function standardize(text: string): string {
  return text
    .replace(ASCII_UPPER, (s) => s.toLowerCase())
    .replace(STRIP, "");
}

/** Splits standardized text on runs of ASCII whitespace. */
export function splitWhitespace(text: string): string[] {
  return text.split(WHITESPACE).filter((token) => token.length > 0);
}

/** Compares two strings by their UTF-8 bytes (numpy's order for bytes). */
function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** Throws unless `config` is a valid {@link VectorizerConfig}. */
function checkConfig(config: VectorizerConfig, where: string): void {
  const { maxTokens, outputSequenceLength } = config;
  if (!Number.isInteger(outputSequenceLength) || outputSequenceLength < 1) {
    throw new Error(
      `${where}: outputSequenceLength must be a positive integer, got ` +
        `${JSON.stringify(outputSequenceLength)}`,
    );
  }
  if (
    maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 2)
  ) {
    throw new Error(
      `${where}: maxTokens must be an integer of at least 2 (the padding ` +
        `and [UNK] tokens), got ${JSON.stringify(maxTokens)}`,
    );
  }
}

/** Text to integer sequences with a vocabulary learnt by `adapt`. */
export class TextVectorizer {
  readonly #config: VectorizerConfig;
  readonly #vocabulary: readonly string[];
  readonly #index: ReadonlyMap<string, number>;

  private constructor(config: VectorizerConfig, vocabulary: string[]) {
    this.#config = { ...config };
    this.#vocabulary = Object.freeze([...vocabulary]);
    this.#index = new Map(vocabulary.map((token, i) => [token, i]));
  }

  /**
   * Learns the vocabulary from `texts` (the training texts only).
   *
   * @throws Error for an invalid `config`.
   */
  static adapt(texts: string[], config: VectorizerConfig): TextVectorizer {
    checkConfig(config, "TextVectorizer.adapt");
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const token of splitWhitespace(standardize(text))) {
        counts.set(token, (counts.get(token) ?? 0) + 1);
      }
    }
    // Keras removes the special tokens from the counts before sorting.
    counts.delete(PAD_TOKEN);
    counts.delete(OOV_TOKEN);

    const learnt = [...counts.keys()].sort((a, b) =>
      (counts.get(b)! - counts.get(a)!) || compareUtf8(b, a)
    );
    const room = config.maxTokens === undefined
      ? learnt.length
      : config.maxTokens - 2;
    return new TextVectorizer(config, [
      PAD_TOKEN,
      OOV_TOKEN,
      ...learnt.slice(0, room),
    ]);
  }

  /**
   * Rebuilds a vectorizer from the output of {@link toJSON}.
   *
   * @param json the parsed JSON value.
   * @param file where it came from, for error messages.
   * @throws Error naming the file and field when the value is malformed.
   */
  static fromJSON(json: unknown, file = "<json>"): TextVectorizer {
    const where = `TextVectorizer.fromJSON(${file})`;
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new Error(`${where}: expected an object, got ${typeOf(json)}`);
    }
    const { config, vocabulary } = json as Record<string, unknown>;
    if (typeof config !== "object" || config === null) {
      throw new Error(`${where}: field 'config' must be an object`);
    }
    const { maxTokens, outputSequenceLength } = config as Record<
      string,
      unknown
    >;
    const parsed: VectorizerConfig = {
      outputSequenceLength: outputSequenceLength as number,
      ...(maxTokens === undefined ? {} : { maxTokens: maxTokens as number }),
    };
    checkConfig(parsed, `${where} field 'config'`);
    checkVocabulary(vocabulary, parsed, where);
    return new TextVectorizer(parsed, vocabulary);
  }

  /** Config and vocabulary, for `JSON.stringify`. */
  toJSON(): { config: VectorizerConfig; vocabulary: string[] } {
    return { config: { ...this.#config }, vocabulary: [...this.#vocabulary] };
  }

  /** The vocabulary: "" and "[UNK]", then the learnt tokens. */
  get vocabulary(): readonly string[] {
    return this.#vocabulary;
  }

  /** The configuration this vectorizer was adapted with. */
  get config(): Readonly<VectorizerConfig> {
    return { ...this.#config };
  }

  /** Keras's `lower_and_strip_punctuation` applied to `text`. */
  standardize(text: string): string {
    return standardize(text);
  }

  /** Token ids of `text`, `[outputSequenceLength]`, 0-padded at the end. */
  encode(text: string): Int32Array {
    const out = new Int32Array(this.#config.outputSequenceLength);
    this.#encodeInto(text, out, 0);
    return out;
  }

  /** Token ids of each text, `[texts.length, outputSequenceLength]`. */
  encodeBatch(texts: string[]): Int32Array {
    const length = this.#config.outputSequenceLength;
    const out = new Int32Array(texts.length * length);
    texts.forEach((text, row) => this.#encodeInto(text, out, row * length));
    return out;
  }

  #encodeInto(text: string, out: Int32Array, offset: number): void {
    const tokens = splitWhitespace(standardize(text));
    const n = Math.min(tokens.length, this.#config.outputSequenceLength);
    for (let i = 0; i < n; i++) {
      out[offset + i] = this.#index.get(tokens[i]!) ?? OOV_INDEX;
    }
    out.fill(PAD_INDEX, offset + n, offset + this.#config.outputSequenceLength);
  }
}

/** Throws unless `vocabulary` is a valid vocabulary for `config`. */
function checkVocabulary(
  vocabulary: unknown,
  config: VectorizerConfig,
  where: string,
): asserts vocabulary is string[] {
  if (!Array.isArray(vocabulary)) {
    throw new Error(
      `${where}: field 'vocabulary' must be an array of strings, got ` +
        typeOf(vocabulary),
    );
  }
  const bad = vocabulary.findIndex((t) => typeof t !== "string");
  if (bad >= 0) {
    throw new Error(
      `${where}: vocabulary[${bad}] must be a string, got ` +
        JSON.stringify(vocabulary[bad]),
    );
  }
  if (vocabulary[0] !== PAD_TOKEN || vocabulary[1] !== OOV_TOKEN) {
    throw new Error(
      `${where}: vocabulary must start with "" and "[UNK]", got ` +
        JSON.stringify(vocabulary.slice(0, 2)),
    );
  }
  if (config.maxTokens !== undefined && vocabulary.length > config.maxTokens) {
    throw new Error(
      `${where}: vocabulary has ${vocabulary.length} entries, more than ` +
        `maxTokens ${config.maxTokens}`,
    );
  }
  const seen = new Set<string>();
  for (const [i, token] of vocabulary.entries()) {
    if (seen.has(token)) {
      throw new Error(
        `${where}: vocabulary[${i}] ${JSON.stringify(token)} is repeated`,
      );
    }
    seen.add(token);
  }
}

/** A short description of a JSON value's type for error messages. */
function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
