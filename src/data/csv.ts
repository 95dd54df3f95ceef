/**
 * An RFC 4180 CSV parser: comma-separated fields, fields in double quotes may
 * hold commas, line breaks and doubled quotes (`""` stands for one `"`), and
 * records end with CRLF or LF. A leading UTF-8 byte-order mark is dropped.
 *
 * Deliberate strictness (RFC 4180 section 2, rules 5-7): a quote inside an
 * unquoted field, or text between a closing quote and the next comma, is an
 * error rather than guessed at, and an unterminated quoted field is an error
 * naming the line where it opened. Completely empty lines are skipped.
 *
 * @module
 */

/** One parsed record and the 1-based line on which it starts. */
export interface CsvRecord {
  /** The record's fields, unquoted. */
  readonly fields: string[];
  /** 1-based physical line where the record starts (quoted line breaks count). */
  readonly line: number;
}

/** A CSV with a header row: column names plus the records after it. */
export interface CsvTable {
  /** Column names from the first record. */
  readonly header: string[];
  /** Every record after the header, each with as many fields as the header. */
  readonly rows: CsvRecord[];
}

/** Thrown for malformed CSV; the message names the source and line. */
export class CsvError extends Error {
  /** @param message full message, already naming source and line */
  constructor(message: string) {
    super(message);
    this.name = "CsvError";
  }
}

const QUOTE = 34; // "
const COMMA = 44; // ,
const CR = 13;
const LF = 10;

/**
 * Parses CSV text into records, keeping the line each record starts on so
 * that callers can point at bad values.
 *
 * @param text the whole file as a string.
 * @param source a name for error messages (usually the file path).
 * @throws {CsvError} on an unterminated quoted field, a quote inside an
 *   unquoted field, or characters after a closing quote.
 */
export function parseCsvRecords(text: string, source = "<csv>"): CsvRecord[] {
  const records: CsvRecord[] = [];
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const end = text.length;

  while (pos < end) {
    const first = text.charCodeAt(pos);
    if (first === LF || (first === CR && text.charCodeAt(pos + 1) === LF)) {
      pos += first === LF ? 1 : 2; // an empty line holds no record
      line++;
      continue;
    }

    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let value: string;
      if (text.charCodeAt(pos) === QUOTE) {
        const openLine = line;
        let out = "";
        let chunkStart = pos + 1;
        pos++;
        for (;;) {
          const q = text.indexOf('"', pos);
          if (q < 0) {
            throw new CsvError(
              `${source}:${openLine}: quoted field opened on line ${openLine} ` +
                `is never closed (expected a closing '"' before end of file)`,
            );
          }
          line += countLineBreaks(text, pos, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            out += text.slice(chunkStart, q + 1); // keep one quote of the pair
            pos = q + 2;
            chunkStart = pos;
            continue;
          }
          out += text.slice(chunkStart, q);
          pos = q + 1;
          break;
        }
        const next = text.charCodeAt(pos);
        if (pos < end && next !== COMMA && next !== LF && next !== CR) {
          throw new CsvError(
            `${source}:${line}: unexpected ${
              JSON.stringify(text[pos])
            } after ` +
              `a closing quote (expected ',' or end of line)`,
          );
        }
        value = out;
      } else {
        let stop = pos;
        while (stop < end) {
          const c = text.charCodeAt(stop);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) {
            throw new CsvError(
              `${source}:${line}: '"' inside an unquoted field ` +
                `${JSON.stringify(text.slice(pos, stop + 1))}; RFC 4180 ` +
                `expects such a field wrapped in quotes with '"' doubled`,
            );
          }
          stop++;
        }
        value = text.slice(pos, stop);
        pos = stop;
      }
      fields.push(value);

      const c = text.charCodeAt(pos);
      if (c === COMMA) {
        pos++;
        continue;
      }
      if (c === CR && text.charCodeAt(pos + 1) === LF) pos += 2;
      else if (c === LF || c === CR) pos++;
      line++;
      break;
    }
    records.push({ fields, line: startLine });
  }
  return records;
}

function countLineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}

/**
 * Parses CSV text into rows of strings (no header handling).
 *
 * @throws {CsvError} as {@link parseCsvRecords}.
 */
export function parseCsv(text: string, source = "<csv>"): string[][] {
  return parseCsvRecords(text, source).map((r) => r.fields);
}

/**
 * Parses CSV text whose first record is a header.
 *
 * @param required column names that must appear in the header.
 * @throws {CsvError} if the file is empty, a required column is missing, a
 *   header name repeats, or a record's field count differs from the header's.
 */
export function parseCsvTable(
  text: string,
  source = "<csv>",
  required: readonly string[] = [],
): CsvTable {
  const records = parseCsvRecords(text, source);
  const head = records[0];
  if (head === undefined) {
    throw new CsvError(`${source}: empty file (expected a header row)`);
  }
  const header = head.fields;
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      throw new CsvError(
        `${source}:${head.line}: header repeats column ${JSON.stringify(name)}`,
      );
    }
    seen.add(name);
  }
  for (const name of required) {
    if (!seen.has(name)) {
      throw new CsvError(
        `${source}:${head.line}: header [${header.join(",")}] lacks column ` +
          `${JSON.stringify(name)} (required: ${required.join(",")})`,
      );
    }
  }
  const rows = records.slice(1);
  for (const row of rows) {
    if (row.fields.length !== header.length) {
      throw new CsvError(
        `${source}:${row.line}: record has ${row.fields.length} fields, ` +
          `header has ${header.length} (${header.join(",")})`,
      );
    }
  }
  return { header, rows };
}
