/**
 * The per-row loops of writing a Parquet part (lib/events/store.ts, lib/events/parquet.ts), in
 * AssemblyScript (compiled to lib/events/wasm/encoder.wasm by `npm run build:wasm`;
 * test/events/fast-scan.test.ts checks the committed file is what this source builds, and
 * test/events/part-encoder.test.ts that every part it encodes is byte for byte what the
 * TypeScript encoder writes).
 *
 * A column of the part is copied in (a text column's dictionary ids, or a number column's
 * doubles), and one call writes what its data page holds: which rows are present (a bit per row,
 * LSB first: the definition levels' bit-packed run), and the values of the present rows: for a
 * text column its dictionary codes (numbered by first appearance; the member ids come back in
 * code order) packed as RLE_DICTIONARY indices; for a number column its int64 values. Which text
 * each member id is stays with the caller (it holds the dictionary).
 */

/** Input: a text column's ids (u32 per row; 0 is NULL), or a number column's doubles (NaN is NULL). */
let input: usize = 0;
let rowCapacity: usize = 0;
/** Per row a bit, LSB first: 1 when present. */
let present: usize = 0;
/** Text: the member ids in code order. */
let members: usize = 0;
/** Text: per dictionary id its code (0: not a member yet); all 0 between calls. */
let memberOf: usize = 0;
let memberOfCapacity: usize = 0;
/** Output: the packed indices, or the int64 values. */
let output: usize = 0;
let presentRows: i32 = 0;

/** Room for a column of `rows` rows whose ids are below `ids` (grows, never shrinks: memory views taken before are stale after). */
export function reserve(rows: i32, ids: i32): void {
  if (<usize>rows > rowCapacity) {
    rowCapacity = max<usize>(<usize>rows, rowCapacity << 1);
    input = heap.alloc(rowCapacity << 3);
    present = heap.alloc((rowCapacity >> 3) + 8);
    members = heap.alloc(rowCapacity << 2);
    // 11 bytes of header (width, varint), then at most 32 bits a row, in whole groups of 8 rows.
    output = heap.alloc((rowCapacity << 3) + 64);
  }
  if (<usize>ids >= memberOfCapacity) {
    memberOfCapacity = max<usize>(<usize>ids + 1, memberOfCapacity << 1);
    memberOf = heap.alloc(memberOfCapacity << 2);
    memory.fill(memberOf, 0, memberOfCapacity << 2);
  }
}

export function inputAt(): usize {
  return input;
}
export function presentAt(): usize {
  return present;
}
export function membersAt(): usize {
  return members;
}
export function outputAt(): usize {
  return output;
}
/** Rows present in the column encoded last. */
export function presentCount(): i32 {
  return presentRows;
}

/** The presence byte of rows [8 group, 8 group + 8): bit k is row 8 group + k. */
// @ts-ignore: decorator
@inline function putPresence(group: usize, bits: u32): void {
  store<u8>(present + group, <u8>bits);
}

/**
 * A text column of `rows` ids: each id becomes its member code (1-based, by first appearance,
 * written back over the id; 0 stays NULL), and the presence bits. Returns the member count
 * (their ids at membersAt(), in code order).
 */
export function encodeText(rows: i32): i32 {
  let count = 0;
  let memberCount: u32 = 0;
  for (let g = 0; g < rows; g += 8) {
    const end = min(g + 8, rows);
    let bits: u32 = 0;
    for (let r = g; r < end; r++) {
      const at = input + (<usize>r << 2);
      const id = load<u32>(at);
      if (id == 0) continue;
      const slot = memberOf + (<usize>id << 2);
      let code = load<u32>(slot);
      if (code == 0) {
        store<u32>(members + (<usize>memberCount << 2), id);
        code = ++memberCount;
        store<u32>(slot, code);
      }
      store<u32>(at, code);
      bits |= 1 << <u32>(r - g);
      count++;
    }
    putPresence(<usize>(g >> 3), bits);
  }
  // memberOf is all 0 again for the next column.
  for (let m: u32 = 0; m < memberCount; m++) store<u32>(memberOf + (<usize>load<u32>(members + (<usize>m << 2)) << 2), 0);
  presentRows = count;
  return <i32>memberCount;
}

/**
 * The present rows' codes - 1 as RLE_DICTIONARY values at outputAt(): the bit width, then one
 * bit-packed run (its varint header, then whole groups of 8 values, LSB first, zero padded).
 * Returns the byte length.
 */
export function packIndices(rows: i32, width: i32): i32 {
  const count = presentRows;
  const groups = (count + 7) >> 3;
  store<u8>(output, <u8>width);
  let o = output + 1;
  let header = <u32>groups * 2 + 1;
  while (header >= 0x80) {
    store<u8>(o++, <u8>((header & 0x7f) | 0x80));
    header >>= 7;
  }
  store<u8>(o++, <u8>header);
  const end = o + <usize>groups * <usize>width;
  let acc: u64 = 0;
  let bits: u32 = 0;
  const w = <u32>width;
  for (let r = 0; r < rows; r++) {
    const code = load<u32>(input + (<usize>r << 2));
    if (code == 0) continue;
    acc |= <u64>(code - 1) << bits;
    bits += w;
    if (bits >= 32) {
      store<u32>(o, <u32>acc);
      o += 4;
      acc >>= 32;
      bits -= 32;
    }
  }
  // What is left (under 32 bits), then zeros to the end of the last group.
  while (o < end) {
    store<u8>(o++, <u8>acc);
    acc >>= 8;
  }
  return <i32>(end - output);
}

const MS_PER_HOUR: f64 = 3600000;
/** encodeInt64's kinds. */
const BIGINT = 0;
const TIMESTAMP = 1;
const TIMESTAMP_HOUR = 2;

/**
 * An int64 column of `rows` doubles (NaN: NULL), the present ones as int64 at outputAt(), and
 * the presence bits; returns the count. BIGINT (0): every value a safe integer. TIMESTAMP (1):
 * event times in ms as microseconds, the ms rounded to the nearest, halves to even, as DuckDB's
 * CAST(DOUBLE AS BIGINT) (store.ts's roundMs); TIMESTAMP_HOUR (2): truncated to the hour too.
 */
export function encodeInt64(rows: i32, kind: i32): i32 {
  let count = 0;
  for (let g = 0; g < rows; g += 8) {
    const end = min(g + 8, rows);
    let bits: u32 = 0;
    for (let r = g; r < end; r++) {
      const x = load<f64>(input + (<usize>r << 3));
      if (isNaN(x)) continue;
      let value: i64;
      if (kind == BIGINT) value = <i64>x;
      else {
        let rounded = nearest(x);
        if (kind == TIMESTAMP_HOUR) rounded = floor(rounded / MS_PER_HOUR) * MS_PER_HOUR;
        value = (<i64>rounded) * 1000;
      }
      store<i64>(output + (<usize>count << 3), value);
      bits |= 1 << <u32>(r - g);
      count++;
    }
    putPresence(<usize>(g >> 3), bits);
  }
  presentRows = count;
  return count;
}
