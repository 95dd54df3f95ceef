import assert from "node:assert/strict";

import {
  CsvError,
  parseCsv,
  parseCsvRecords,
  parseCsvTable,
} from "../../src/data/csv.ts";

Deno.test("csv: plain fields, LF and CRLF line ends, no final newline", () => {
  assert.deepEqual(parseCsv("a,b,c\n1,2,3\r\n4,5,6"), [
    ["a", "b", "c"],
    ["1", "2", "3"],
    ["4", "5", "6"],
  ]);
});

Deno.test("csv: quoted commas, doubled quotes, empty fields", () => {
  const text = 'id,text\n1,"hello, world"\n2,"say ""hi"""\n3,\n,""\n';
  assert.deepEqual(parseCsv(text), [
    ["id", "text"],
    ["1", "hello, world"],
    ["2", 'say "hi"'],
    ["3", ""],
    ["", ""],
  ]);
});

Deno.test("csv: newlines inside quotes keep the record whole; lines counted", () => {
  const text = 'h1,h2\r\n"a\r\nb\nc",x\r\n\r\nlast,"y"\r\n';
  const records = parseCsvRecords(text);
  assert.deepEqual(records.map((r) => r.fields), [
    ["h1", "h2"],
    ["a\r\nb\nc", "x"],
    ["last", "y"],
  ]);
  // Record 2 starts on line 2 and spans lines 2-4; line 5 is blank.
  assert.deepEqual(records.map((r) => r.line), [1, 2, 6]);
});

Deno.test("csv: a leading byte-order mark is dropped", () => {
  assert.deepEqual(parseCsv("\ufeffid,label\n1,x\n"), [["id", "label"], [
    "1",
    "x",
  ]]);
});

Deno.test("csv: errors name the source and line", () => {
  assert.throws(
    () => parseCsv('a,b\n1,"open\nmore', "f.csv"),
    (e: unknown) =>
      e instanceof CsvError &&
      /f\.csv:2: quoted field opened on line 2 is never closed/.test(e.message),
  );
  assert.throws(
    () => parseCsv('a,b\n1,ab"c\n', "f.csv"),
    /f\.csv:2: '"' inside an unquoted field "ab\\""/,
  );
  assert.throws(
    () => parseCsv('a,b\n"x"y,1\n', "f.csv"),
    /f\.csv:2: unexpected "y" after a closing quote/,
  );
});

Deno.test("csv table: header, required columns, field counts", () => {
  const table = parseCsvTable('id,text,label\n1,"a,b",pos\n', "t.csv", [
    "id",
    "label",
  ]);
  assert.deepEqual(table.header, ["id", "text", "label"]);
  assert.deepEqual(table.rows[0]?.fields, ["1", "a,b", "pos"]);
  assert.throws(
    () => parseCsvTable("id,text\n1,a\n", "t.csv", ["label"]),
    /t\.csv:1: header \[id,text\] lacks column "label"/,
  );
  assert.throws(
    () => parseCsvTable("id,text\n1,a\n2\n", "t.csv"),
    /t\.csv:3: record has 1 fields, header has 2/,
  );
  assert.throws(() => parseCsvTable("", "t.csv"), /t\.csv: empty file/);
  assert.throws(
    () => parseCsvTable("a,a\n", "t.csv"),
    /header repeats column "a"/,
  );
});
