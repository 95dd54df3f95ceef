import assert from "node:assert/strict";
import {
  splitWhitespace,
  standardize,
  TextVectorizer,
} from "../../src/text/vectorize.ts";

Deno.test("standardize lower-cases ASCII and strips all 32 ASCII punctuation characters", () => {
  const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  assert.equal(punctuation.length, 32);
  assert.equal(standardize(`a${punctuation}b`), "ab");
  // Inside words too: "don't" -> "dont", "e-mail" -> "email".
  assert.equal(
    standardize("Don't E-MAIL me, O'Brien!"),
    "dont email me obrien",
  );
});

Deno.test("standardize keeps unicode letters and non-ASCII punctuation, lower-cases only ASCII", () => {
  // tf.strings.lower with encoding "" leaves "É" and "Ä" alone.
  assert.equal(standardize("Café ÉTÉ Äpfel"), "café ÉtÉ Äpfel");
  assert.equal(standardize("“kata” — bagus…"), "“kata” — bagus…");
  assert.equal(standardize("Saya suka 100%"), "saya suka 100");
});

Deno.test("splitWhitespace treats runs of ASCII whitespace as one separator", () => {
  assert.deepEqual(splitWhitespace("  a \t b\n\nc\r\fd\ve  "), [
    "a",
    "b",
    "c",
    "d",
    "e",
  ]);
  // A no-break space (U+00A0) is not ASCII whitespace in TensorFlow.
  assert.deepEqual(splitWhitespace("a\u00a0b c"), ["a\u00a0b", "c"]);
  assert.deepEqual(splitWhitespace("   "), []);
  // Punctuation stripped to nothing leaves no empty token.
  assert.deepEqual(splitWhitespace(standardize("a - b")), ["a", "b"]);
});

Deno.test("adapt orders by count, ties by UTF-8 bytes descending", () => {
  // Counts: the 3, cat 2, dog 2, ant 1, zebra 1, émile 1.
  // Ties at 2: "dog" > "cat"; at 1: "émile" (0xC3...) > "zebra" > "ant".
  const v = TextVectorizer.adapt(
    ["The cat, the dog.", "THE ant; cat dog zebra", "Émile"],
    { outputSequenceLength: 4 },
  );
  assert.deepEqual(v.vocabulary, [
    "",
    "[UNK]",
    "the",
    "dog",
    "cat",
    "Émile",
    "zebra",
    "ant",
  ]);
});

Deno.test("adapt maxTokens=5 counts the padding and [UNK] tokens", () => {
  const v = TextVectorizer.adapt(["b b b a a c d"], {
    maxTokens: 5,
    outputSequenceLength: 3,
  });
  // 5 - 2 special tokens = 3 learnt: b (3), a (2), then d > c (1 each).
  assert.deepEqual(v.vocabulary, ["", "[UNK]", "b", "a", "d"]);
  // "c" was cut: [UNK] = 1.
  assert.deepEqual([...v.encode("c b a")], [1, 2, 3]);
});

Deno.test("adapt drops a literal [UNK] only after standardization made it 'unk'", () => {
  const v = TextVectorizer.adapt(["[UNK] x"], { outputSequenceLength: 2 });
  // "[UNK]" -> "unk" (brackets stripped, lower-cased), so it is a token.
  assert.deepEqual(v.vocabulary, ["", "[UNK]", "x", "unk"]);
});

Deno.test("encode maps unknown tokens to 1, pads with 0 and truncates at the end (length 4)", () => {
  const v = TextVectorizer.adapt(["a b c"], { outputSequenceLength: 4 });
  // vocabulary: "", [UNK], c, b, a (all count 1, bytes descending).
  assert.deepEqual(v.vocabulary, ["", "[UNK]", "c", "b", "a"]);
  assert.deepEqual([...v.encode("A, b!")], [4, 3, 0, 0]);
  assert.deepEqual([...v.encode("a zzz c")], [4, 1, 2, 0]);
  assert.deepEqual([...v.encode("c c b a a b")], [2, 2, 3, 4]);
  assert.deepEqual([...v.encode("")], [0, 0, 0, 0]);
  assert.deepEqual([...v.encodeBatch(["a", "b c"])], [4, 0, 0, 0, 3, 2, 0, 0]);
});

Deno.test("toJSON / fromJSON round trip keeps vocabulary, config and encodings", () => {
  const v = TextVectorizer.adapt(["ini bagus sekali", "ini jelek"], {
    maxTokens: 10,
    outputSequenceLength: 5,
  });
  const back = TextVectorizer.fromJSON(JSON.parse(JSON.stringify(v)));
  assert.deepEqual(back.vocabulary, v.vocabulary);
  assert.deepEqual(back.config, { maxTokens: 10, outputSequenceLength: 5 });
  assert.deepEqual(back.encode("Ini BAGUS!"), v.encode("Ini BAGUS!"));
});

Deno.test("fromJSON rejects malformed input naming the file and field", () => {
  const ok = {
    config: { outputSequenceLength: 3 },
    vocabulary: ["", "[UNK]", "a"],
  };
  const cases: [unknown, RegExp][] = [
    [[], /vocab\.json\): expected an object, got an array/],
    [{ vocabulary: ok.vocabulary }, /field 'config' must be an object/],
    [
      { ...ok, config: { outputSequenceLength: 0 } },
      /outputSequenceLength must be a positive integer, got 0/,
    ],
    [
      { ...ok, config: { outputSequenceLength: 3, maxTokens: 1.5 } },
      /maxTokens must be an integer of at least 2.*got 1\.5/,
    ],
    [
      { ...ok, vocabulary: "a b" },
      /'vocabulary' must be an array of strings, got string/,
    ],
    [
      { ...ok, vocabulary: ["", "[UNK]", 7] },
      /vocabulary\[2\] must be a string, got 7/,
    ],
    [{ ...ok, vocabulary: ["[UNK]", ""] }, /must start with "" and "\[UNK\]"/],
    [
      { ...ok, vocabulary: ["", "[UNK]", "a", "a"] },
      /vocabulary\[3\] "a" is repeated/,
    ],
    [
      {
        config: { outputSequenceLength: 3, maxTokens: 2 },
        vocabulary: ok.vocabulary,
      },
      /3 entries, more than maxTokens 2/,
    ],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => TextVectorizer.fromJSON(json, "vocab.json"), message);
  }
  assert.throws(
    () =>
      TextVectorizer.adapt(["a"], { outputSequenceLength: 2, maxTokens: 1 }),
    /TextVectorizer\.adapt: maxTokens must be an integer of at least 2/,
  );
});

interface Fixture {
  keras: string;
  train: string[];
  texts: string[];
  cases: {
    config: { maxTokens: number | null; outputSequenceLength: number };
    vocabulary: string[];
    encoded: number[][];
  }[];
}

const FIXTURE: Fixture = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/vectorize.json", import.meta.url)),
);

for (const c of FIXTURE.cases) {
  const label = `maxTokens=${c.config.maxTokens} ` +
    `outputSequenceLength=${c.config.outputSequenceLength}`;
  Deno.test(`adapt and encodeBatch match Keras ${FIXTURE.keras} fixture, ${label}`, () => {
    const v = TextVectorizer.adapt(FIXTURE.train, {
      outputSequenceLength: c.config.outputSequenceLength,
      ...(c.config.maxTokens === null ? {} : { maxTokens: c.config.maxTokens }),
    });
    assert.deepEqual(v.vocabulary, c.vocabulary);
    const length = c.config.outputSequenceLength;
    const encoded = v.encodeBatch(FIXTURE.texts);
    for (const [row, expected] of c.encoded.entries()) {
      assert.deepEqual(
        [...encoded.subarray(row * length, (row + 1) * length)],
        expected,
        `text ${row}: ${JSON.stringify(FIXTURE.texts[row])}`,
      );
    }
  });
}
