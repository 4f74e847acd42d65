/**
 * A small Parquet writer for the parsed events' parts (lib/events/store.ts): one row group, every
 * column OPTIONAL, one uncompressed data page per column, texts dictionary-encoded (the scanner
 * already has each part's texts as dictionary indices, so the file is written from them as they
 * are: no string per row). DuckDB reads it like its own files (texts as VARCHAR, times as
 * TIMESTAMP, integers as BIGINT); the parts are the parse-once cache and what reports read.
 *
 * Why not DuckDB's COPY: handing a part to DuckDB (appender), then having it encode the same
 * dictionary again, cost about 2 us a row, as much as scanning the line (npm run bench -- events).
 *
 * The format, from the specification (apache/parquet-format: src/main/thrift/parquet.thrift for
 * the metadata, Encodings.md for the RLE/bit-packing hybrid, the Thrift compact protocol for how
 * metadata is serialized): "PAR1", column chunks, FileMetaData, its length (4 bytes LE), "PAR1".
 * A data page (v1) of an OPTIONAL column holds its definition levels (4-byte length, then the
 * hybrid at bit width 1), then the present values: PLAIN (INT64: 8 bytes LE) or RLE_DICTIONARY
 * (one byte of bit width, then the hybrid). Dictionary pages are PLAIN (4-byte LE length, bytes).
 */
import * as fs from 'node:fs';

interface ColumnBase {
  readonly name: string;
  /** Per row, one bit (LSB first): 1 when the value is present (not NULL). */
  readonly present: Uint8Array;
  /** Rows present. */
  readonly count: number;
}

export type ParquetColumn =
  | (ColumnBase & {
      readonly kind: 'text';
      /** The dictionary, in index order. */
      readonly members: readonly string[];
      /** The present rows' member indices as RLE_DICTIONARY values (dictionaryIndices); empty without members. */
      readonly indices: Uint8Array;
    })
  | (ColumnBase & {
      readonly kind: 'bigint' | 'timestamp';
      /** The present values as int64 (two little-endian 32-bit words each), in row order. */
      readonly values: Int32Array;
    });

// parquet.thrift enums.
const TYPE_INT64 = 2;
const TYPE_BYTE_ARRAY = 6;
const CONVERTED_UTF8 = 0;
const CONVERTED_TIMESTAMP_MICROS = 10;
const OPTIONAL = 1;
const ENCODING_PLAIN = 0;
const ENCODING_RLE = 3;
const ENCODING_RLE_DICTIONARY = 8;
const CODEC_UNCOMPRESSED = 0;
const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;

// Thrift compact protocol field types.
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

/** Thrift compact protocol, the few shapes Parquet's metadata needs. */
class CompactWriter {
  private buf = Buffer.allocUnsafe(1 << 12);
  private used = 0;
  private last = 0;
  private readonly stack: number[] = [];

  private room(n: number): void {
    if (this.used + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + n));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.used++] = b;
  }

  /** An unsigned varint of a non-negative safe integer. */
  private varint(n: number): void {
    while (n >= 0x80) {
      this.byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.byte(n);
  }

  private zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  private field(id: number, type: number): void {
    const delta = id - this.last;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.last = id;
  }

  i32(id: number, v: number): this {
    this.field(id, T_I32);
    this.zigzag(v);
    return this;
  }

  i64(id: number, v: number): this {
    this.field(id, T_I64);
    this.zigzag(v);
    return this;
  }

  string(id: number, s: string): this {
    this.field(id, T_BINARY);
    this.text(s);
    return this;
  }

  private text(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.varint(bytes.length);
    this.room(bytes.length);
    bytes.copy(this.buf, this.used);
    this.used += bytes.length;
  }

  private listHeader(id: number, type: number, size: number): void {
    this.field(id, T_LIST);
    if (size < 15) this.byte((size << 4) | type);
    else {
      this.byte(0xf0 | type);
      this.varint(size);
    }
  }

  i32List(id: number, values: readonly number[]): this {
    this.listHeader(id, T_I32, values.length);
    for (const v of values) this.zigzag(v);
    return this;
  }

  stringList(id: number, values: readonly string[]): this {
    this.listHeader(id, T_BINARY, values.length);
    for (const v of values) this.text(v);
    return this;
  }

  structList<T>(id: number, items: readonly T[], write: (w: this, item: T) => void): this {
    this.listHeader(id, T_STRUCT, items.length);
    for (const item of items) {
      this.stack.push(this.last);
      this.last = 0;
      write(this, item);
      this.byte(0);
      this.last = this.stack.pop()!;
    }
    return this;
  }

  struct(id: number, write: (w: this) => void): this {
    this.field(id, T_STRUCT);
    this.stack.push(this.last);
    this.last = 0;
    write(this);
    this.byte(0);
    this.last = this.stack.pop()!;
    return this;
  }

  /** The bytes of a top-level struct whose fields were written (adds its stop byte). */
  finish(): Buffer {
    this.byte(0);
    return this.buf.subarray(0, this.used);
  }
}

/** The bit width of indices below `count` (at least 1). */
export function bitWidth(count: number): number {
  let width = 1;
  while (count > 2 ** width) width++;
  return width;
}

/** A varint's bytes into out at o; returns the next offset. */
function putVarint(out: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    out[o++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[o++] = n;
  return o;
}

/**
 * Definition levels (1 present, 0 NULL) as the hybrid at bit width 1, with their 4-byte length:
 * one bit-packed run, which is exactly the presence bitmap.
 */
function definitionLevels(present: Uint8Array, rows: number): Buffer {
  const groups = Math.ceil(rows / 8);
  const out = Buffer.alloc(4 + 10 + groups);
  let o = putVarint(out, 4, groups * 2 + 1);
  out.set(present.subarray(0, groups), o);
  // Bits past the last row are padding: clear them, so a reader counting levels sees no extra values.
  if (rows % 8 !== 0) out[o + groups - 1] &= (1 << rows % 8) - 1;
  o += groups;
  out.writeUInt32LE(o - 4, 0);
  return out.subarray(0, o);
}

/** The present rows' codes - 1 as RLE_DICTIONARY values: bit width, then one bit-packed run. */
export function dictionaryIndices(codes: Uint32Array, rows: number, count: number, members: number): Buffer {
  const width = bitWidth(members);
  const groups = Math.ceil(count / 8);
  const out = Buffer.alloc(1 + 10 + groups * width);
  out[0] = width;
  let o = putVarint(out, 1, groups * 2 + 1);
  // The run is whole groups of 8; the zero padding after the last index is already there (Buffer.alloc).
  const end = o + groups * width;
  // LSB first; a member index is below 2^25 (a part has fewer rows), so 7 pending bits + width fit in 32.
  let acc = 0;
  let bits = 0;
  for (let r = 0; r < rows; r++) {
    const code = codes[r];
    if (code === 0) continue;
    acc = (acc | ((code - 1) << bits)) >>> 0;
    bits += width;
    while (bits >= 8) {
      out[o++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out[o] = acc;
  return out.subarray(0, end);
}

/** A dictionary page's values: PLAIN byte arrays. */
function plainTexts(members: readonly string[]): Buffer {
  let size = 0;
  for (const m of members) size += 4 + Buffer.byteLength(m, 'utf8');
  // Encoded straight into the page: a Buffer per member (tens of thousands a part) was garbage.
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const m of members) {
    const n = out.write(m, o + 4, 'utf8');
    out.writeUInt32LE(n, o);
    o += 4 + n;
  }
  return out;
}

function pageHeader(type: number, size: number, values: number, encoding: number): Buffer {
  const w = new CompactWriter().i32(1, type).i32(2, size).i32(3, size);
  if (type === PAGE_DICTIONARY) w.struct(7, (s) => s.i32(1, values).i32(2, encoding));
  else w.struct(5, (s) => s.i32(1, values).i32(2, encoding).i32(3, ENCODING_RLE).i32(4, ENCODING_RLE));
  return w.finish();
}

interface ChunkMeta {
  readonly column: ParquetColumn;
  readonly start: number;
  readonly dictionaryOffset: number;
  readonly dataOffset: number;
  readonly size: number;
  readonly encodings: readonly number[];
}

/**
 * Writes `rows` rows of `columns` to `file` as a Parquet file of one row group. A column given as
 * a function is made just before it is written, and its buffers need live only until the next
 * column is made (the WebAssembly encoder's views into its memory).
 */
export function writeParquet(file: string, rows: number, sources: ReadonlyArray<ParquetColumn | (() => ParquetColumn)>): void {
  const columns: ParquetColumn[] = [];
  const fd = fs.openSync(file, 'w');
  try {
    let offset = 0;
    const write = (b: Uint8Array) => {
      let done = 0;
      while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done, offset + done);
      offset += b.length;
    };
    write(Buffer.from('PAR1', 'latin1'));
    const chunks: ChunkMeta[] = [];
    for (const source of sources) {
      const column = typeof source === 'function' ? source() : source;
      columns.push(column);
      const start = offset;
      let dictionaryOffset = -1;
      let encodings: number[];
      let page: Uint8Array[];
      if (column.kind === 'text') {
        const levels = definitionLevels(column.present, rows);
        if (column.members.length > 0) {
          const dictionary = plainTexts(column.members);
          dictionaryOffset = offset;
          write(pageHeader(PAGE_DICTIONARY, dictionary.length, column.members.length, ENCODING_PLAIN));
          write(dictionary);
          page = [levels, column.indices];
          encodings = [ENCODING_PLAIN, ENCODING_RLE, ENCODING_RLE_DICTIONARY];
        } else {
          // No text in this part: NULLs only, no dictionary.
          page = [levels];
          encodings = [ENCODING_PLAIN, ENCODING_RLE];
        }
      } else {
        page = [definitionLevels(column.present, rows), new Uint8Array(column.values.buffer, column.values.byteOffset, column.count * 8)];
        encodings = [ENCODING_PLAIN, ENCODING_RLE];
      }
      const dataOffset = offset;
      const size = page.reduce((n, b) => n + b.length, 0);
      const dataEncoding = column.kind === 'text' && column.members.length > 0 ? ENCODING_RLE_DICTIONARY : ENCODING_PLAIN;
      write(pageHeader(PAGE_DATA, size, rows, dataEncoding));
      for (const b of page) write(b);
      chunks.push({ column, start, dictionaryOffset, dataOffset, size: offset - start, encodings });
    }
    const total = chunks.reduce((n, c) => n + c.size, 0);
    const footer = new CompactWriter()
      .i32(1, 1)
      .structList(2, [null, ...columns], (w, column) => {
        if (column === null) {
          w.string(4, 'dskit_events').i32(5, columns.length);
          return;
        }
        w.i32(1, column.kind === 'text' ? TYPE_BYTE_ARRAY : TYPE_INT64).i32(3, OPTIONAL).string(4, column.name);
        if (column.kind === 'text') w.i32(6, CONVERTED_UTF8);
        else if (column.kind === 'timestamp') w.i32(6, CONVERTED_TIMESTAMP_MICROS);
      })
      .i64(3, rows)
      .structList(4, [chunks], (w, group) => {
        w.structList(1, group, (c, chunk) => {
          c.i64(2, chunk.start).struct(3, (m) => {
            m.i32(1, chunk.column.kind === 'text' ? TYPE_BYTE_ARRAY : TYPE_INT64)
              .i32List(2, chunk.encodings)
              .stringList(3, [chunk.column.name])
              .i32(4, CODEC_UNCOMPRESSED)
              .i64(5, rows)
              .i64(6, chunk.size)
              .i64(7, chunk.size)
              .i64(9, chunk.dataOffset);
            if (chunk.dictionaryOffset >= 0) m.i64(11, chunk.dictionaryOffset);
          });
        });
        w.i64(2, total).i64(3, rows);
      })
      .string(6, 'dskit')
      .finish();
    write(footer);
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(footer.length, 0);
    tail.write('PAR1', 4, 'latin1');
    write(tail);
  } finally {
    fs.closeSync(fd);
  }
}
