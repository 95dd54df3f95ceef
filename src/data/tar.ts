/**
 * A small tar reader (and a minimal writer for fixtures), enough for the data
 * archives this project reads: POSIX ustar headers with the `prefix` field,
 * GNU long names (type `L`) and pax `path` records (type `x`). Regular files
 * are yielded one at a time as they stream past, so a gzip archive of any
 * size is read with memory bounded by its largest member. Directories, links
 * and other special entries are skipped.
 *
 * Header layout from POSIX.1-2008 `pax` (ustar interchange format): name at
 * 0..100, size at 124..136 (octal, or GNU base-256 when the top bit is set),
 * checksum at 148..156, type flag at 156, magic at 257, prefix at 345..500.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";

/** A regular file found in a tar archive. */
export interface TarEntry {
  /** Path inside the archive, `/`-separated, as stored (prefix joined). */
  readonly name: string;
  /** The file's bytes (a fresh copy, safe to keep). */
  readonly data: Uint8Array;
}

/** Thrown for a malformed archive; the message names source and offset. */
export class TarError extends Error {
  /** @param message full message naming the archive and byte offset */
  constructor(message: string) {
    super(message);
    this.name = "TarError";
  }
}

const BLOCK = 512;
const decoder = new TextDecoder();

/** Buffers incoming chunks and hands out exact-size byte ranges. */
class ChunkReader {
  #chunks: Uint8Array[] = [];
  #available = 0;
  #iterator: AsyncIterator<Uint8Array>;
  #done = false;
  /** Bytes consumed so far, for error messages. */
  offset = 0;

  #label: string;

  constructor(source: AsyncIterable<Uint8Array>, label: string) {
    this.#iterator = source[Symbol.asyncIterator]();
    this.#label = label;
  }

  /** Exactly `n` bytes, or `null` at a clean end of input before any byte. */
  async read(n: number): Promise<Uint8Array | null> {
    while (this.#available < n && !this.#done) {
      const r = await this.#iterator.next();
      if (r.done) this.#done = true;
      else if (r.value.length > 0) {
        this.#chunks.push(r.value);
        this.#available += r.value.length;
      }
    }
    if (this.#available < n) {
      if (this.#available === 0) return null;
      throw new TarError(
        `${this.#label}: truncated archive: needed ${n} bytes at offset ${this.offset}, ` +
          `only ${this.#available} left`,
      );
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0]!;
      const take = Math.min(head.length, n - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(take);
    }
    this.#available -= n;
    this.offset += n;
    return out;
  }
}

function readString(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return decoder.decode(nul < 0 ? field : field.subarray(0, nul));
}

function readSize(block: Uint8Array, where: string): number {
  const first = block[124]!;
  if (first & 0x80) {
    // GNU base-256: big-endian binary in the remaining bytes of the field.
    let size = 0;
    for (let i = 125; i < 136; i++) size = size * 256 + block[i]!;
    return size;
  }
  const text = readString(block, 124, 12).trim();
  if (!/^[0-7]*$/.test(text)) {
    throw new TarError(
      `${where}: size field ${JSON.stringify(text)} is not octal`,
    );
  }
  return text === "" ? 0 : parseInt(text, 8);
}

function checkChecksum(block: Uint8Array, where: string): void {
  const stored = parseInt(readString(block, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) {
    sum += i >= 148 && i < 156 ? 32 : block[i]!; // the field counts as spaces
  }
  if (stored !== sum) {
    throw new TarError(
      `${where}: header checksum ${stored} != computed ${sum} ` +
        `(not a tar archive, or corrupt)`,
    );
  }
}

/** The `path` value from pax extended-header records (`"len key=value\n"`). */
function paxPath(data: Uint8Array): string | undefined {
  const text = decoder.decode(data);
  let path: string | undefined;
  for (const record of text.split("\n")) {
    const m = /^\d+ ([^=]+)=(.*)$/s.exec(record);
    if (m && m[1] === "path") path = m[2];
  }
  return path;
}

/**
 * Yields the regular files of an uncompressed tar stream, in archive order.
 *
 * @param source the archive bytes in chunks of any size.
 * @param label archive name for error messages.
 * @throws {TarError} on a bad header checksum, a non-octal size or a
 *   truncated archive.
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  label = "<tar>",
): AsyncGenerator<TarEntry> {
  const reader = new ChunkReader(source, label);
  let longName: string | undefined;
  for (;;) {
    const headerOffset = reader.offset;
    const block = await reader.read(BLOCK);
    if (block === null || block.every((b) => b === 0)) return; // end marker
    const where = `${label}: header at offset ${headerOffset}`;
    checkChecksum(block, where);

    const size = readSize(block, where);
    const type = String.fromCharCode(block[156]!);
    const data = size > 0 ? await reader.read(size) : new Uint8Array(0);
    if (data === null) throw new TarError(`${where}: data missing`);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) await reader.read(pad);

    if (type === "L") {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      longName = paxPath(data) ?? longName;
      continue;
    }
    let name = readString(block, 0, 100);
    const magic = readString(block, 257, 6);
    const prefix = magic.startsWith("ustar") ? readString(block, 345, 155) : "";
    if (prefix !== "") name = `${prefix}/${name}`;
    if (longName !== undefined) name = longName;
    longName = undefined;

    // "0" and NUL are regular files; "7" is a contiguous file (read as one).
    if (type === "0" || type === "\0" || type === "7") yield { name, data };
  }
}

/**
 * Opens a `.tar` or `.tar.gz` file (gzip is recognised by its magic bytes,
 * not the file name) and yields its regular files.
 *
 * @throws {TarError} as {@link readTar}; gzip errors propagate from
 *   `node:zlib` with the path added.
 */
export async function* readTarFile(path: string): AsyncGenerator<TarEntry> {
  const handle = await open(path, "r");
  const magic = new Uint8Array(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const gz = magic[0] === 0x1f && magic[1] === 0x8b;
  const stream = gz ? file.pipe(createGunzip()) : file;
  try {
    yield* readTar(stream as AsyncIterable<Uint8Array>, path);
  } catch (err) {
    if (err instanceof TarError) throw err;
    throw new TarError(`${path}: ${(err as Error).message}`);
  } finally {
    // Wait for the close events: the archive's end marker can come before
    // the end of the file, and Deno's test sanitizers (rightly) flag a file
    // handle still open after the generator returns.
    await Promise.all([destroyed(file), destroyed(stream)]);
  }
}

/** Destroys a Node stream and resolves once it has closed. */
function destroyed(stream: {
  closed: boolean;
  destroy(): void;
  once(event: "close", listener: () => void): unknown;
}): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once("close", () => resolve());
    stream.destroy();
  });
}

function writeOctal(
  block: Uint8Array,
  start: number,
  length: number,
  value: number,
): void {
  const text = value.toString(8).padStart(length - 1, "0");
  for (let i = 0; i < length - 1; i++) block[start + i] = text.charCodeAt(i);
  block[start + length - 1] = 0;
}

/**
 * Builds an uncompressed ustar archive of regular files (mode 0644, mtime 0,
 * owner 0), in the given order. Names over 100 bytes get a GNU long-name
 * entry. Meant for test fixtures and small exports.
 *
 * @throws {RangeError} if a name is empty.
 */
export function createTar(entries: readonly TarEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const blocks: Uint8Array[] = [];
  const header = (name: Uint8Array, size: number, type: string) => {
    const block = new Uint8Array(BLOCK);
    block.set(name.subarray(0, 100), 0);
    writeOctal(block, 100, 8, 0o644);
    writeOctal(block, 108, 8, 0);
    writeOctal(block, 116, 8, 0);
    writeOctal(block, 124, 12, size);
    writeOctal(block, 136, 12, 0);
    block[156] = type.charCodeAt(0);
    block.set(encoder.encode("ustar\u000000"), 257);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) {
      sum += i >= 148 && i < 156 ? 32 : block[i]!;
    }
    writeOctal(block, 148, 7, sum);
    block[155] = 32;
    blocks.push(block);
  };
  const body = (data: Uint8Array) => {
    const padded = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
    padded.set(data);
    blocks.push(padded);
  };
  for (const entry of entries) {
    if (entry.name === "") throw new RangeError("createTar: empty entry name");
    const name = encoder.encode(entry.name);
    if (name.length > 100) {
      const long = encoder.encode(`${entry.name}\0`);
      header(encoder.encode("././@LongLink"), long.length, "L");
      body(long);
    }
    header(name, entry.data.length, "0");
    body(entry.data);
  }
  blocks.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
