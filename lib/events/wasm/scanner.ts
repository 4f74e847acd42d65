/**
 * The fast path of the line scanner, in AssemblyScript (compiled to lib/events/wasm/scanner.wasm
 * by `npm run build:wasm`; test/events/fast-scan.test.ts checks the committed file is what this
 * source builds). It reads the plain lines nearly every export is made of, by the very rules of
 * lib/events/scan.ts (which the clouds' SQL defines), and writes their rows as dictionary ids of
 * its own; every line it is not sure of (U+0000-U+0003 in the event, lines starting with `{` or
 * a digit (JSON records, octet framing), no syslog header or host, `rt`, a LEEF 2.0 delimiter
 * field, integers of more than 15 digits, too long) it hands back untouched, and the TypeScript scanner reads that line as always. So this
 * file only ever has to agree with scan.ts on the lines it takes, and the differential test
 * compares the two on every sample line and on generated ones.
 *
 * Memory: the block of lines to read (copied in by the caller), the rows written (column by
 * column), the lines handed back, and the dictionary (an open-addressing table over an arena of
 * the distinct byte strings). The caller mirrors new dictionary entries after every call.
 */

/** Rows written per call at most (the caller takes them, then calls again). */
export const ROWS: i32 = 4096;
/** Lines handed back per call at most. */
export const HANDED_BACK: i32 = 4096;
/** Text columns written, as ids (0: NULL), in this order. */
export const ID_COLUMNS: i32 = 14;
// 0 format_version, 1 vendor, 2 product, 3 device_version, 4 name, 5 src, 6 dst, 7 protocol,
// 8 act, 9 dvchost, 10 dvc, 11 syslog_host, 12 host, 13 user_name
/** Number columns written (NaN: NULL): 0 event ms, 1 signature_id, 2 severity, 3 spt, 4 dpt, 5 host_id. */
export const NUMBER_COLUMNS: i32 = 6;

const PIPE: u32 = 124;
const SPACE: u32 = 32;
const TAB: u32 = 9;
const EQUALS: u32 = 61;
const MS_PER_DAY: f64 = 86400000;
const LF_x16 = i8x16.splat(10);
const PIPE_x16 = i8x16.splat(124);
const FOUR_x16 = i8x16.splat(4);
const CR_x16 = i8x16.splat(13);
const BACKSLASH_x16 = i8x16.splat(92);
const EQUALS_x16 = i8x16.splat(61);
const TAB_x16 = i8x16.splat(9);

// The extension keys read, as in scan.ts's KEYS.
const K_SRC = 0;
const K_DST = 1;
const K_SPT = 2;
const K_DPT = 3;
const K_PROTO = 4;
const K_ACT = 5;
const K_CN1 = 6;
const K_DVCHOST = 7;
const K_DVC = 8;
const K_NAME = 9;
const K_SEV = 10;
const K_RT = 11;
const K_DUSER = 12;
const K_SUSER = 13;
const K_USRNAME = 14;
const K_SRCPORT = 15;
const K_DSTPORT = 16;
const KEY_COUNT = 17;

let ids: usize = 0;
let numbers: usize = 0;
let formats: usize = 0;
let handedBack: usize = 0;
let rows: i32 = 0;
let handedBackCount: i32 = 0;
let linesTaken: i32 = 0;

let input: usize = 0;
let inputCapacity: usize = 0;

// Per line: where each key's first value is ([start, end) before trimming), and whether found.
let keyStart: usize = 0;
let keyEnd: usize = 0;
let keyFound: usize = 0;
let generation: u32 = 0;
let pipes: usize = 0;
/** Bars scan() keeps per line (into `pipes`): CEF's seven, or LEEF 2.0's five and the one after. */
const PIPES_KEPT: u32 = 7;
/** How many of them the line has before its LF. */
let linePipes: u32 = 0;

// The dictionary.
// Slots of 8 bytes: the id (0: empty) and its hash, so a probe reads one place until the hash matches.
let table: usize = 0;
let tableMask: u32 = 0;
// Per id, 8 bytes: its offset in the arena and its length (one cache line, not two).
let records: usize = 0;
let entryCapacity: i32 = 0;
let entryCount: i32 = 0;
let arena: usize = 0;
let arenaCapacity: usize = 0;
let arenaUsed: usize = 0;

// Set by parseInteger when a value has more digits than a double holds exactly.
let tooBig: bool = false;
// The span tokenAfter found.
let spanStart: usize = 0;
let spanEnd: usize = 0;

export function init(): void {
  ids = heap.alloc(<usize>(ID_COLUMNS * ROWS) << 2);
  numbers = heap.alloc(<usize>(NUMBER_COLUMNS * ROWS) << 3);
  formats = heap.alloc(<usize>ROWS);
  handedBack = heap.alloc(<usize>(HANDED_BACK * 2) << 2);
  keyStart = heap.alloc(KEY_COUNT << 2);
  keyEnd = heap.alloc(KEY_COUNT << 2);
  keyFound = heap.alloc(KEY_COUNT << 2);
  memory.fill(keyFound, 0, KEY_COUNT << 2);
  pipes = heap.alloc(8 << 2);
  tableMask = (1 << 14) - 1;
  table = heap.alloc(<usize>(tableMask + 1) << 3);
  memory.fill(table, 0, <usize>(tableMask + 1) << 3);
  entryCapacity = 1 << 12;
  records = heap.alloc(<usize>entryCapacity << 3);
  arenaCapacity = 1 << 20;
  arena = heap.alloc(arenaCapacity);
  keyChars = heap.alloc(256);
  for (let c: u32 = 0; c < 256; c++) store<u8>(keyChars + <usize>c, c - 48 < 10 || c - 65 < 26 || c - 97 < 26 || c == 95 ? 1 : 0);
  memos = heap.alloc(<usize>(ID_COLUMNS * MEMO_SLOTS) << 2);
  memory.fill(memos, 0, <usize>(ID_COLUMNS * MEMO_SLOTS) << 2);
  addressMask = (1 << 12) - 1;
  addresses = heap.alloc(<usize>(addressMask + 1) << 3);
  memory.fill(addresses, 0, <usize>(addressMask + 1) << 3);
}

/** Where the caller copies a block of `size` bytes (lines, each ending with LF). */
export function inputFor(size: usize): usize {
  if (size + 16 > inputCapacity) {
    inputCapacity = max<usize>(size + 16, inputCapacity << 1);
    input = heap.alloc(inputCapacity);
  }
  return input;
}

export function idsAt(): usize {
  return ids;
}
export function numbersAt(): usize {
  return numbers;
}
export function formatsAt(): usize {
  return formats;
}
export function handedBackAt(): usize {
  return handedBack;
}
export function rowCount(): i32 {
  return rows;
}
export function handedBackLines(): i32 {
  return handedBackCount;
}
export function takenLines(): i32 {
  return linesTaken;
}
export function entries(): i32 {
  return entryCount;
}
/** Per id, its offset in the arena and its length (two u32). */
export function entriesAt(): usize {
  return records;
}
export function arenaAt(): usize {
  return arena;
}

/**
 * Forgets every entry (ids start again at 1), keeping the memory: the caller does this once the
 * dictionary is large, so the module's memory stays bounded however many distinct values the
 * input holds (the caller's own dictionary keeps them; values seen again are mirrored again).
 */
export function resetDictionary(): void {
  memory.fill(table, 0, <usize>(tableMask + 1) << 3);
  memory.fill(memos, 0, <usize>(ID_COLUMNS * MEMO_SLOTS) << 2);
  memory.fill(addresses, 0, <usize>(addressMask + 1) << 3);
  addressCount = 0;
  entryCount = 0;
  arenaUsed = 0;
}

// @ts-ignore: decorator
@inline function byte(p: usize): u32 {
  return <u32>load<u8>(p);
}
// @ts-ignore: decorator
@inline function isDigit(c: u32): bool {
  return c - 48 < 10;
}
// @ts-ignore: decorator
@inline function isUpper(c: u32): bool {
  return c - 65 < 26;
}
// @ts-ignore: decorator
@inline function isLower(c: u32): bool {
  return c - 97 < 26;
}
// Key bytes ([A-Za-z0-9_]), as a table made by init.
let keyChars: usize = 0;
// @ts-ignore: decorator
@inline function isKeyChar(c: u32): bool {
  return load<u8>(keyChars + <usize>c) != 0;
}

/**
 * Reads the lines of input bytes [start, end) (end just past an LF) until the rows or the
 * handed-back list are full; returns where it stopped. Lines longer than `maxLine` are handed
 * back (the caller counts them as too long). `fallbackMs` is the source's time for
 * lines without one (NaN: none); `referenceMs` (never NaN: the caller settles it as scan.ts
 * does) and its UTC year `referenceYear` date BSD stamps.
 */
export function scan(start: usize, end: usize, fallbackMs: f64, referenceMs: f64, referenceYear: i32, maxLine: usize): usize {
  rows = 0;
  handedBackCount = 0;
  linesTaken = 0;
  let p = input + start;
  const stop = input + end;
  while (p < stop && rows < ROWS && handedBackCount < HANDED_BACK) {
    // Sixteen bytes at a time, the first of each: LF, |, CR, U+0000-U+0003 and backslash (0:
    // none; no line starts at address 0). Reads up to 15 bytes past the LF: the input has room.
    let q = p;
    let cr: usize = 0;
    let control: usize = 0;
    let backslash: usize = 0;
    // The line's first PIPES_KEPT bars go straight into `pipes` (CEF's header has seven); past
    // them a block costs the LF comparison and one test of the rare bytes (CR, U+0000-U+0003,
    // backslash), which are told apart only when one is there.
    let pipeCount: u32 = 0;
    for (;;) {
      const v = v128.load(q);
      const lf = i8x16.bitmask(i8x16.eq(v, LF_x16));
      const before = lf != 0 ? (lf & -lf) - 1 : 0xffff;
      if (pipeCount < PIPES_KEPT) {
        let bars = i8x16.bitmask(i8x16.eq(v, PIPE_x16)) & before;
        while (bars != 0 && pipeCount < PIPES_KEPT) {
          store<u32>(pipes + (<usize>pipeCount << 2), <u32>(q + <usize>ctz(bars)));
          pipeCount++;
          bars &= bars - 1;
        }
      }
      const rare = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, CR_x16), i8x16.lt_u(v, FOUR_x16)), i8x16.eq(v, BACKSLASH_x16))) & before;
      if (rare != 0) {
        const crs = i8x16.bitmask(i8x16.eq(v, CR_x16)) & before;
        const controls = i8x16.bitmask(i8x16.lt_u(v, FOUR_x16)) & before;
        const backslashes = i8x16.bitmask(i8x16.eq(v, BACKSLASH_x16)) & before;
        if (cr == 0 && crs != 0) cr = q + <usize>ctz(crs);
        if (control == 0 && controls != 0) control = q + <usize>ctz(controls);
        if (backslash == 0 && backslashes != 0) backslash = q + <usize>ctz(backslashes);
      }
      if (lf != 0) {
        q += <usize>ctz(lf);
        break;
      }
      q += 16;
    }
    const pipe: usize = pipeCount > 0 ? <usize>load<u32>(pipes) : 0;
    linePipes = pipeCount;
    // As scan.ts: the event ends at the first CR (a CRLF line's CR, usually), and what follows
    // it is not read; U+0000-U+0003 before it are the TypeScript scanner's.
    const le = cr != 0 ? cr : q;
    escaped = backslash != 0 && backslash < le;
    const plain = (control == 0 || control >= le) && pipe != 0 && pipe < le;
    if (plain && q - p <= maxLine && line(p, le, pipe, fallbackMs, referenceMs, referenceYear)) linesTaken++;
    else {
      const at = handedBack + (<usize>handedBackCount << 3);
      store<i32>(at, <i32>(p - input));
      store<i32>(at + 4, <i32>(q - input));
      handedBackCount++;
    }
    p = q + 1;
  }
  return p - input;
}

/** Which of the keys (K_*) bytes [s, s + length) are, or -1. */
// @ts-ignore: decorator
@inline function keyOf(s: usize, length: usize): i32 {
  const c0 = byte(s);
  const c1 = byte(s + 1);
  if (length == 3) {
    const c2 = byte(s + 2);
    if (c0 == 115) {
      if (c1 == 114 && c2 == 99) return K_SRC;
      if (c1 == 112 && c2 == 116) return K_SPT;
      if (c1 == 101 && c2 == 118) return K_SEV;
      return -1;
    }
    if (c0 == 100) {
      if (c1 == 115 && c2 == 116) return K_DST;
      if (c1 == 112 && c2 == 116) return K_DPT;
      if (c1 == 118 && c2 == 99) return K_DVC;
      return -1;
    }
    if (c0 == 97 && c1 == 99 && c2 == 116) return K_ACT;
    if (c0 == 99 && c1 == 110 && c2 == 49) return K_CN1;
    return -1;
  }
  if (length == 7) {
    const rest = load<u32>(s + 3);
    // dvchost, usrName, srcPort, dstPort (bytes 3..6 little-endian)
    if (c0 == 100 && c1 == 118 && byte(s + 2) == 99 && rest == 0x74736f68) return K_DVCHOST;
    if (c0 == 117 && c1 == 115 && byte(s + 2) == 114 && rest == 0x656d614e) return K_USRNAME;
    if (c0 == 115 && c1 == 114 && byte(s + 2) == 99 && rest == 0x74726f50) return K_SRCPORT;
    if (c0 == 100 && c1 == 115 && byte(s + 2) == 116 && rest == 0x74726f50) return K_DSTPORT;
    return -1;
  }
  if (length == 5) {
    const rest = load<u32>(s + 1);
    if (c0 == 112 && rest == 0x6f746f72) return K_PROTO; // proto
    if (c0 == 100 && rest == 0x72657375) return K_DUSER; // duser
    if (c0 == 115 && rest == 0x72657375) return K_SUSER; // suser
    return -1;
  }
  if (length == 4) return load<u32>(s) == 0x656d616e ? K_NAME : -1; // name
  if (length == 2) return c0 == 114 && c1 == 116 ? K_RT : -1;
  return -1;
}

/** A pair segment [s, e) whose first `=` is at eq: records the value of a wanted key, first one wins. */
// @ts-ignore: decorator
@inline function segment(s: usize, eq: usize, e: usize): void {
  if (eq <= s || eq >= e) return;
  const length = eq - s;
  if (length < 2 || length > 7) return;
  const key = keyOf(s, length);
  if (key < 0) return;
  const slot = <usize>key << 2;
  if (load<u32>(keyFound + slot) != generation) {
    store<u32>(keyFound + slot, generation);
    store<u32>(keyStart + slot, <u32>(eq + 1));
    store<u32>(keyEnd + slot, <u32>e);
  }
}

/** A bitmask of the sixteen bytes from `at`, with the bits of bytes at or past `end` cleared. */
// @ts-ignore: decorator
@inline function bitsBefore(bits: i32, at: usize, end: usize): i32 {
  return at + 16 <= end ? bits : bits & ((1 << <i32>(end - at)) - 1);
}

/** CEF extension: segments start at ` +key=` (spaces dropped). The `=` are found sixteen bytes at a time. */
function cefPairs(bodyStart: usize, bodyEnd: usize): void {
  let segStart = bodyStart;
  let segEq: usize = 0; // 0: none yet (no byte of the input is at address 0)
  for (let block = bodyStart; block < bodyEnd; block += 16) {
    let bits = bitsBefore(i8x16.bitmask(i8x16.eq(v128.load(block), EQUALS_x16)), block, bodyEnd);
    while (bits != 0) {
      const q = block + <usize>ctz(bits);
      bits &= bits - 1;
      let r = q;
      while (r > bodyStart && isKeyChar(byte(r - 1))) r--;
      if (r < q && r > bodyStart && byte(r - 1) == SPACE) {
        let s = r - 1;
        while (s > bodyStart && byte(s - 1) == SPACE) s--;
        segment(segStart, segEq, s);
        segStart = r;
        segEq = q;
      } else if (segEq == 0) segEq = q;
    }
  }
  segment(segStart, segEq, bodyEnd);
}

/**
 * Whether LEEF 2.0's field [s, e) is a delimiter field, as scan.ts's delimiterField reads it (not
 * null there): empty, one character but `=` or `|`, or x/X or 0x/0X and one to four hex digits.
 */
function isDelimiterField(s: usize, e: usize): bool {
  const n = e - s;
  if (n == 0) return true;
  const first = byte(s);
  const charLength: usize = first < 0x80 ? 1 : first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  if (n == charLength) return first != EQUALS && first != PIPE;
  let i = s;
  if (first == 48 && i + 1 < e && (byte(i + 1) == 120 || byte(i + 1) == 88)) i++;
  if (byte(i) != 120 && byte(i) != 88) return false;
  i++;
  const digits = e - i;
  if (digits < 1 || digits > 4) return false;
  for (let j = i; j < e; j++) {
    const c = byte(j);
    if (!isDigit(c) && !(c >= 65 && c <= 70) && !(c >= 97 && c <= 102)) return false;
  }
  return true;
}

/** LEEF attributes split at tabs; a segment's first `=` splits it. Sixteen bytes at a time. */
function leefPairs(start: usize, end: usize): void {
  let s = start;
  let eq: usize = 0;
  for (let block = start; block < end; block += 16) {
    const v = v128.load(block);
    let bits = bitsBefore(i8x16.bitmask(v128.or(i8x16.eq(v, TAB_x16), i8x16.eq(v, EQUALS_x16))), block, end);
    while (bits != 0) {
      const at = block + <usize>ctz(bits);
      bits &= bits - 1;
      if (byte(at) == TAB) {
        segment(s, eq, at);
        s = at + 1;
        eq = 0;
      } else if (eq == 0) eq = at;
    }
  }
  segment(s, eq, end);
}

// A key's value, trimmed of spaces: valueStart/valueEnd after valueOf returns true.
let valueStart: usize = 0;
let valueEnd: usize = 0;

// Whether the line holds backslashes: its event text is then normalized as scan.ts does (`\\`
// and `\|` become U+0002 and U+0003) into `normalized`, and values and header fields are read
// back through `unescaped`.
let escaped = false;
let normalized: usize = 0;
let normalizedCapacity: usize = 0;
let unescaped: usize = 0;
let unescapedCapacity: usize = 0;
const ESCAPED_BACKSLASH: u32 = 2;
const ESCAPED_BAR: u32 = 3;
const BACKSLASH: u32 = 92;

/** The event text [s, e) normalized into `normalized`; returns its end there. */
function normalize(s: usize, e: usize): usize {
  if (e - s + 16 > normalizedCapacity) {
    normalizedCapacity = max<usize>(e - s + 16, normalizedCapacity << 1);
    normalized = heap.alloc(normalizedCapacity);
  }
  let o = normalized;
  for (let i = s; i < e; i++) {
    const c = byte(i);
    if (c == BACKSLASH && i + 1 < e && byte(i + 1) == BACKSLASH) {
      store<u8>(o++, <u8>ESCAPED_BACKSLASH);
      i++;
    } else if (c == BACKSLASH && i + 1 < e && byte(i + 1) == PIPE) {
      store<u8>(o++, <u8>ESCAPED_BAR);
      i++;
    } else store<u8>(o++, <u8>c);
  }
  return o;
}

/**
 * Bytes [s, e) of the normalized text with the placeholders undone (and, for values, `\=` as
 * `=`), as valueStart/valueEnd: a copy in `unescaped` only when there is something to undo.
 */
function settle(s: usize, e: usize, value: bool): void {
  valueStart = s;
  valueEnd = e;
  if (!escaped) return;
  let i = s;
  for (; i < e; i++) {
    const c = byte(i);
    if (c == ESCAPED_BACKSLASH || c == ESCAPED_BAR || (value && c == BACKSLASH)) break;
  }
  if (i == e) return;
  if (e - s > unescapedCapacity) {
    unescapedCapacity = max<usize>(e - s, unescapedCapacity << 1);
    unescaped = heap.alloc(unescapedCapacity);
  }
  let o = unescaped;
  for (let j = s; j < e; j++) {
    const c = byte(j);
    if (value && c == BACKSLASH && j + 1 < e && byte(j + 1) == EQUALS) {
      store<u8>(o++, <u8>EQUALS);
      j++;
    } else store<u8>(o++, <u8>(c == ESCAPED_BACKSLASH ? BACKSLASH : c == ESCAPED_BAR ? PIPE : c));
  }
  valueStart = unescaped;
  valueEnd = o;
}

/** Whether the key has a non-empty value on this line (its trimmed, unescaped range in valueStart/valueEnd). */
function valueOf(key: i32): bool {
  const slot = <usize>key << 2;
  if (load<u32>(keyFound + slot) != generation) return false;
  let s = <usize>load<u32>(keyStart + slot);
  let e = <usize>load<u32>(keyEnd + slot);
  while (s < e && byte(s) == SPACE) s++;
  while (e > s && byte(e - 1) == SPACE) e--;
  settle(s, e, true);
  return e > s;
}

/** The id of a header field [s, e) (0: empty), its placeholders undone, through the memo of `column`. */
function headerId(column: i32, s: usize, e: usize): i32 {
  if (e <= s) return 0;
  settle(s, e, false);
  return internIn(column, valueStart, valueEnd);
}

/** `^-?[0-9]{1,18}$` as a number, else NaN; tooBig when it has more than 15 digits (the TypeScript scanner reads those). */
function parseInteger(s: usize, e: usize): f64 {
  let i = s;
  if (i < e && byte(i) == 45) i++;
  const digits = e - i;
  if (digits < 1 || digits > 18) return NaN;
  let x: f64 = 0;
  for (let j = i; j < e; j++) {
    const c = byte(j);
    if (!isDigit(c)) return NaN;
    x = x * 10 + <f64>(c - 48);
  }
  if (digits > 15) {
    tooBig = true;
    return NaN;
  }
  return i > s && x != 0 ? -x : x;
}

/** A hash of bytes [s, s + n), four at a time. */
// @ts-ignore: decorator
@inline function hashOf(s: usize, n: usize): u32 {
  let h: u32 = <u32>n * 0x9e3779b1;
  let i = s;
  const e = s + n;
  while (i + 4 <= e) {
    h = (h ^ load<u32>(i)) * 0x85ebca77;
    h ^= h >>> 15;
    i += 4;
  }
  while (i < e) {
    h = (h ^ byte(i)) * 0xc2b2ae3d;
    i++;
  }
  h ^= h >>> 13;
  h *= 0x27d4eb2f;
  return h ^ (h >>> 16);
}

/** Whether bytes [a, a + n) equal [b, b + n). */
// @ts-ignore: decorator
@inline function sameBytes(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  while (i + 8 <= n) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  while (i < n) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

function intern(s: usize, e: usize): i32 {
  const length = e - s;
  const h = hashOf(s, length);
  let slot = h & tableMask;
  for (;;) {
    const entry = load<u64>(table + (<usize>slot << 3));
    const id = <i32>entry;
    if (id == 0) break;
    if (<u32>(entry >>> 32) == h) {
      const at = records + (<usize>id << 3);
      if (<usize>load<u32>(at, 4) == length && sameBytes(arena + <usize>load<u32>(at), s, length)) return id;
    }
    slot = (slot + 1) & tableMask;
  }
  return add(s, length, h, slot);
}

// Per column, a small direct-mapped cache of the ids it saw: most columns hold a few values.
const MEMO_SLOTS: i32 = 256;
let memos: usize = 0;

/** The id of bytes [s, e) (not empty) for column `column`, through its memo. */
function internIn(column: i32, s: usize, e: usize): i32 {
  const length = e - s;
  const slot = memos + ((<usize>column * <usize>MEMO_SLOTS + ((length * 0x9e3 + <usize>byte(s) * 0x3b + <usize>byte(e - 1) * 0x1f1) & <usize>(MEMO_SLOTS - 1))) << 2);
  const id = load<i32>(slot);
  if (id != 0) {
    const at = records + (<usize>id << 3);
    if (<usize>load<u32>(at, 4) == length && sameBytes(arena + <usize>load<u32>(at), s, length)) return id;
  }
  const found = intern(s, e);
  store<i32>(slot, found);
  return found;
}

// Sources written as canonical IPv4 (four decimal octets, no leading zeros), by their 32-bit
// value: each such text is the one text of its value, so one 8-byte slot (value, id) answers
// where the dictionary's lookup reads the table, the entry and the arena (three cache misses
// for each of a honeypot's thousands of sources).
let addresses: usize = 0;
let addressMask: u32 = 0;
let addressCount: u32 = 0;

/** The value of bytes [s, e) as canonical dotted-quad IPv4, or -1. */
function ipv4Value(s: usize, e: usize): i64 {
  const n = e - s;
  if (n < 7 || n > 15) return -1;
  let value: u32 = 0;
  let octet: u32 = 0;
  let digits = 0;
  let dots = 0;
  for (let i = s; i < e; i++) {
    const c = byte(i);
    if (c == 46) {
      if (digits == 0 || dots == 3) return -1;
      value = (value << 8) | octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (isDigit(c)) {
      // A leading zero (`01`) is not canonical: a second text of the same value.
      if (digits > 0 && octet == 0) return -1;
      octet = octet * 10 + c - 48;
      digits++;
      if (octet > 255) return -1;
    } else return -1;
  }
  if (dots != 3 || digits == 0) return -1;
  return <i64>((value << 8) | octet);
}

// @ts-ignore: decorator
@inline function addressSlot(key: u32): u32 {
  const h = key * 0x9e3779b1;
  return h ^ (h >>> 15);
}

/** The id of a source's text [s, e) (not empty): through its IPv4 value when it has one. */
function internSource(s: usize, e: usize): i32 {
  const value = ipv4Value(s, e);
  if (value < 0) return intern(s, e);
  const key = <u32>value;
  let slot = addressSlot(key);
  for (;;) {
    slot &= addressMask;
    const entry = load<u64>(addresses + (<usize>slot << 3));
    const id = <i32>entry;
    if (id == 0) break;
    if (<u32>(entry >>> 32) == key) return id;
    slot++;
  }
  const id = intern(s, e);
  store<u64>(addresses + (<usize>slot << 3), (<u64>key << 32) | <u64><u32>id);
  addressCount++;
  if (addressCount * 2 > addressMask) growAddresses();
  return id;
}

function growAddresses(): void {
  addresses = doubled(addresses, addressMask, true);
  addressMask = (addressMask << 1) | 1;
}

/**
 * An open-addressing table of 8-byte slots (0: empty; the high 32 bits the key) at twice the
 * size, its entries placed again: by the key itself (the dictionary keeps each entry's hash
 * there), or `mixed` by addressSlot of it (the address table keeps the address).
 */
function doubled(table: usize, mask: u32, mixed: bool): usize {
  const size = (mask + 1) << 1;
  const grown = heap.alloc(<usize>size << 3);
  memory.fill(grown, 0, <usize>size << 3);
  const grownMask = size - 1;
  for (let old: u32 = 0; old <= mask; old++) {
    const entry = load<u64>(table + (<usize>old << 3));
    if (<i32>entry == 0) continue;
    const key = <u32>(entry >>> 32);
    let slot = (mixed ? addressSlot(key) : key) & grownMask;
    while (load<i32>(grown + (<usize>slot << 3)) != 0) slot = (slot + 1) & grownMask;
    store<u64>(grown + (<usize>slot << 3), entry);
  }
  return grown;
}

function add(s: usize, length: usize, h: u32, slot: u32): i32 {
  if (arenaUsed + length > arenaCapacity) {
    const capacity = max<usize>(arenaCapacity << 1, arenaUsed + length);
    const grown = heap.alloc(capacity);
    memory.copy(grown, arena, arenaUsed);
    arena = grown;
    arenaCapacity = capacity;
  }
  memory.copy(arena + arenaUsed, s, length);
  const id = ++entryCount;
  if (id >= entryCapacity) {
    const capacity = entryCapacity << 1;
    const grown = heap.alloc(<usize>capacity << 3);
    memory.copy(grown, records, <usize>entryCapacity << 3);
    records = grown;
    entryCapacity = capacity;
  }
  const at = records + (<usize>id << 3);
  store<u32>(at, <u32>arenaUsed);
  store<u32>(at, <u32>length, 4);
  arenaUsed += length;
  store<u64>(table + (<usize>slot << 3), (<u64>h << 32) | <u64><u32>id);
  if (<u32>id * 2 > tableMask) rehash();
  return id;
}

function rehash(): void {
  table = doubled(table, tableMask, false);
  tableMask = (tableMask << 1) | 1;
}

// @ts-ignore: decorator
@inline function digitsAt(s: usize, n: usize): i32 {
  let x = 0;
  for (let i = s; i < s + n; i++) x = x * 10 + <i32>(byte(i) - 48);
  return x;
}

/** Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil), as scan.ts. */
function daysFromCivil(year: i32, month: i32, day: i32): i32 {
  const y = month <= 2 ? year - 1 : year;
  const era = y / 400;
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + (153 * mp + 2) / 5 + day - 1 - 719468;
}

function isLeap(y: i32): bool {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

function civilMillis(year: i32, month: i32, day: i32, hour: i32, minute: i32, second: i32, millis: i32, offsetMinutes: i32): f64 {
  if (!(year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59)) return NaN;
  return <f64>daysFromCivil(year, month, day) * MS_PER_DAY + <f64>hour * 3600000 + <f64>minute * 60000 + <f64>second * 1000 + <f64>millis - <f64>offsetMinutes * 60000;
}

/** The length of an ISO stamp (`dddd-dd-dd[T ]dd:dd:dd`, fraction, zone) at i, or 0. */
function isoLength(i: usize, e: usize): usize {
  if (i + 19 > e) return 0;
  if (!(isDigit(byte(i)) && isDigit(byte(i + 1)) && isDigit(byte(i + 2)) && isDigit(byte(i + 3)) && byte(i + 4) == 45)) return 0;
  if (!(isDigit(byte(i + 5)) && isDigit(byte(i + 6)) && byte(i + 7) == 45 && isDigit(byte(i + 8)) && isDigit(byte(i + 9)))) return 0;
  const t = byte(i + 10);
  if (t != 84 && t != SPACE) return 0;
  if (!(isDigit(byte(i + 11)) && isDigit(byte(i + 12)) && byte(i + 13) == 58 && isDigit(byte(i + 14)) && isDigit(byte(i + 15)))) return 0;
  if (!(byte(i + 16) == 58 && isDigit(byte(i + 17)) && isDigit(byte(i + 18)))) return 0;
  let k = i + 19;
  if (k + 1 < e && byte(k) == 46 && isDigit(byte(k + 1))) {
    k++;
    while (k < e && isDigit(byte(k))) k++;
  }
  if (k < e && byte(k) == 90) return k + 1 - i;
  if (k + 2 < e && (byte(k) == 43 || byte(k) == 45) && isDigit(byte(k + 1)) && isDigit(byte(k + 2))) {
    const j = k + 3;
    if (j + 2 < e && byte(j) == 58 && isDigit(byte(j + 1)) && isDigit(byte(j + 2))) return j + 3 - i;
    if (j + 1 < e && isDigit(byte(j)) && isDigit(byte(j + 1))) return j + 2 - i;
  }
  return k - i;
}

/** The length of a BSD stamp (`Mmm dd hh:mm:ss`, the day may be space-padded) at i, or 0. */
function bsdLength(i: usize, e: usize): usize {
  if (i + 3 > e || !isUpper(byte(i)) || !isLower(byte(i + 1)) || !isLower(byte(i + 2))) return 0;
  let k = i + 3;
  if (k >= e || byte(k) != SPACE) return 0;
  while (k < e && byte(k) == SPACE) k++;
  const dayStart = k;
  while (k < e && isDigit(byte(k)) && k - dayStart < 2) k++;
  if (k == dayStart || k >= e || byte(k) != SPACE) return 0;
  k++;
  if (k + 8 > e) return 0;
  if (!(isDigit(byte(k)) && isDigit(byte(k + 1)) && byte(k + 2) == 58 && isDigit(byte(k + 3)) && isDigit(byte(k + 4)) && byte(k + 5) == 58 && isDigit(byte(k + 6)) && isDigit(byte(k + 7)))) return 0;
  return k + 8 - i;
}

// Where findStamp found the stamp, and its length.
let stampStart: usize = 0;
let stampLength: usize = 0;

/** The stamp alternatives after `<PRI>`: with an RFC 5424 VERSION first, then without; 1 ISO, 2 BSD, 0 none. */
function findStamp(s: usize, e: usize): i32 {
  let i = s;
  if (i < e && byte(i) == 60) {
    let j = i + 1;
    while (j < e && isDigit(byte(j)) && j - i <= 3) j++;
    if (j > i + 1 && j - i - 1 <= 3 && j < e && byte(j) == 62) i = j + 1;
  }
  let v = i;
  while (v < e && isDigit(byte(v)) && v - i < 2) v++;
  if (v > i && v < e && byte(v) == SPACE) {
    stampStart = v + 1;
    stampLength = isoLength(v + 1, e);
    if (stampLength > 0) return 1;
    stampLength = bsdLength(v + 1, e);
    if (stampLength > 0) return 2;
  }
  stampStart = i;
  stampLength = isoLength(i, e);
  if (stampLength > 0) return 1;
  stampLength = bsdLength(i, e);
  if (stampLength > 0) return 2;
  return 0;
}

/** Spaces then a token then a space, from k: the host after a stamp, into spanStart/spanEnd. */
function tokenAfter(k: usize, e: usize): bool {
  if (k >= e || byte(k) != SPACE) return false;
  while (k < e && byte(k) == SPACE) k++;
  const ts = k;
  while (k < e && byte(k) != SPACE) k++;
  if (k > ts && k < e) {
    spanStart = ts;
    spanEnd = k;
    return true;
  }
  return false;
}

/** A nil `-`, or a token that starts with a time or an ISO date. */
function notAHost(s: usize, e: usize): bool {
  const n = e - s;
  if (n == 1 && byte(s) == 45) return true;
  if (n >= 8 && isDigit(byte(s)) && isDigit(byte(s + 1)) && byte(s + 2) == 58 && isDigit(byte(s + 3)) && isDigit(byte(s + 4)) && byte(s + 5) == 58 && isDigit(byte(s + 6)) && isDigit(byte(s + 7))) return true;
  if (n >= 11) {
    return isDigit(byte(s)) && isDigit(byte(s + 1)) && isDigit(byte(s + 2)) && isDigit(byte(s + 3)) && byte(s + 4) == 45 && isDigit(byte(s + 5)) && isDigit(byte(s + 6)) && byte(s + 7) == 45 && isDigit(byte(s + 8)) && isDigit(byte(s + 9)) && byte(s + 10) == 84;
  }
  return false;
}

/** The stamp's zone (`Z` or `[+-]hh:?mm`, from i) in minutes; 0 without one. */
function isoZone(i: usize, e: usize): i32 {
  if (i >= e || (byte(i) != 43 && byte(i) != 45)) return 0;
  const sign = byte(i) == 45 ? -1 : 1;
  const hours = digitsAt(i + 1, 2);
  const j = byte(i + 3) == 58 ? i + 4 : i + 3;
  return sign * (hours * 60 + digitsAt(j, 2));
}

const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

function monthAt(i: usize): i32 {
  const names = changetype<usize>(MONTHS);
  for (let m = 0; m < 12; m++) {
    const at = names + (<usize>m * 3 << 1);
    if (byte(i) == <u32>load<u16>(at) && byte(i + 1) == <u32>load<u16>(at + 2) && byte(i + 2) == <u32>load<u16>(at + 4)) return m + 1;
  }
  return 0;
}

/** The time of the stamp of `kind` at ts (the event starts at e; findStamp measured it), as scan.ts's stampMillis. */
function stampMillis(kind: i32, ts: usize, e: usize, reference: f64, year: i32): f64 {
  if (kind == 1) {
    let i = ts + 19;
    let millis = 0;
    if (i + 1 < e && byte(i) == 46 && isDigit(byte(i + 1))) {
      i++;
      let place = 0;
      while (i < e && isDigit(byte(i))) {
        if (place < 3) millis = millis * 10 + <i32>(byte(i) - 48);
        place++;
        i++;
      }
      for (; place < 3; place++) millis *= 10;
    }
    const stampEnd = ts + stampLength;
    const offset = stampEnd - i >= 5 ? isoZone(i, stampEnd) : 0;
    return civilMillis(digitsAt(ts, 4), digitsAt(ts + 5, 2), digitsAt(ts + 8, 2), digitsAt(ts + 11, 2), digitsAt(ts + 14, 2), digitsAt(ts + 17, 2), millis, offset);
  }
  const month = monthAt(ts);
  let i = ts + 3;
  while (byte(i) == SPACE) i++;
  let day = 0;
  while (isDigit(byte(i))) day = day * 10 + <i32>(byte(i++) - 48);
  i++;
  if (month == 0) return NaN;
  const t = civilMillis(year, month, day, digitsAt(i, 2), digitsAt(i + 3, 2), digitsAt(i + 6, 2), 0, 0);
  if (t > reference + MS_PER_DAY) {
    const leap = (month > 2 && isLeap(year)) || (month <= 2 && isLeap(year - 1));
    return t - MS_PER_DAY * (leap ? 366 : 365);
  }
  return t;
}

// @ts-ignore: decorator
@inline function putId(column: i32, id: i32): void {
  store<i32>(ids + ((<usize>column * <usize>ROWS + <usize>rows) << 2), id);
}
// @ts-ignore: decorator
@inline function putNumber(column: i32, x: f64): void {
  store<f64>(numbers + ((<usize>column * <usize>ROWS + <usize>rows) << 3), x);
}

/** The id of a key's value (0: absent or empty), through the memo of `column`. */
function valueId(key: i32, column: i32): i32 {
  return valueOf(key) ? internIn(column, valueStart, valueEnd) : 0;
}

/** Reads the line [start, le) (its first `|` at pipe, no U+0000-U+0003 or CR); false hands it back. */
function line(start: usize, le: usize, pipe: usize, fallbackMs: f64, referenceMs: f64, referenceYear: i32): bool {
  const first = byte(start);
  if (first == 123 || (first >= 49 && first <= 57)) return false;
  // The marker ends at the first |: CEF: ?[0-9]+ or LEEF: ?[12].0
  let markerStart: usize = 0; // 0: none (no byte of the input is at address 0)
  let cef = false;
  let k = pipe - 1;
  while (k >= start && isDigit(byte(k))) k--;
  if (k < pipe - 1) {
    let m = k;
    if (m >= start && byte(m) == SPACE) m--;
    if (m >= start + 3 && byte(m) == 58 && byte(m - 1) == 70 && byte(m - 2) == 69 && byte(m - 3) == 67) {
      markerStart = m - 3;
      cef = true;
    }
  }
  if (markerStart == 0 && pipe >= start + 3 && byte(pipe - 1) == 48 && byte(pipe - 2) == 46 && (byte(pipe - 3) == 49 || byte(pipe - 3) == 50)) {
    let m = pipe - 4;
    if (m >= start && byte(m) == SPACE) m--;
    if (m >= start + 4 && byte(m) == 58 && byte(m - 1) == 70 && byte(m - 2) == 69 && byte(m - 3) == 69 && byte(m - 4) == 76) markerStart = m - 4;
  }
  // No marker, or no syslog header before it: the TypeScript scanner says what that is.
  if (markerStart <= start) return false;

  // The event text, normalized when it holds backslashes; ee is its end.
  let p0 = pipe;
  let ee = le;
  if (escaped) {
    ee = normalize(markerStart, le);
    p0 = normalized + (pipe - markerStart);
  }

  // Header fields: CEF has seven |-ended fields (marker included), LEEF five. scan() found the
  // bars of a line without backslashes; a normalized text is searched here.
  const fieldCount = cef ? 6 : 4;
  if (escaped) {
    store<u32>(pipes, <u32>p0);
    let at = p0;
    for (let f = 1; f <= fieldCount; f++) {
      at++;
      while (at < ee && byte(at) != PIPE) at++;
      if (at >= ee) return false;
      store<u32>(pipes + (<usize>f << 2), <u32>at);
    }
  } else if (linePipes <= <u32>fieldCount || <usize>load<u32>(pipes + (<usize>fieldCount << 2)) >= ee) return false;
  const p1 = <usize>load<u32>(pipes + 4);
  const p2 = <usize>load<u32>(pipes + 8);
  const p3 = <usize>load<u32>(pipes + 12);
  const p4 = <usize>load<u32>(pipes + 16);

  generation++;
  if (cef) cefPairs(<usize>load<u32>(pipes + 24) + 1, ee);
  else {
    // LEEF 2.0: when the text up to the next | is a delimiter field (scan.ts's delimiterField),
    // the TypeScript scanner reads the line; otherwise (a | inside a value, as in a firewall
    // rule named "Block Administrative Share | SMB") the attributes start after the event id.
    if (byte(pipe - 3) == 50) {
      let p5 = ee;
      if (escaped) {
        p5 = p4 + 1;
        while (p5 < ee && byte(p5) != PIPE) p5++;
      } else if (linePipes > 5) p5 = min<usize>(<usize>load<u32>(pipes + 20), ee);
      if (p5 < ee && isDelimiterField(p4 + 1, p5)) return false;
    }
    leefPairs(p4 + 1, ee);
  }
  if (valueOf(K_RT)) return false;

  // The syslog stamp, and the host after it.
  const stampKind = findStamp(start, markerStart);
  if (stampKind == 0) return false;
  const ts = stampStart;
  if (!tokenAfter(ts + stampLength, markerStart)) return false;
  const hostStart = spanStart;
  const hostEnd = spanEnd;
  const noSyslogHost = notAHost(hostStart, hostEnd);
  const hasDvchost = valueOf(K_DVCHOST);
  const hasDvc = valueOf(K_DVC);
  if (noSyslogHost && !hasDvchost && !hasDvc) return false;

  // Integers (all read before anything is written: a too-big one hands the line back).
  tooBig = false;
  const signatureId = parseInteger(p3 + 1, p4);
  let severity: f64 = NaN;
  let severityFromHeader = false;
  if (cef) {
    const p5 = <usize>load<u32>(pipes + 20);
    const p6 = <usize>load<u32>(pipes + 24);
    if (p6 > p5 + 1) {
      severity = parseInteger(p5 + 1, p6);
      severityFromHeader = true;
    }
  }
  if (!severityFromHeader && valueOf(K_SEV)) severity = parseInteger(valueStart, valueEnd);
  const spt = valueOf(K_SPT) || valueOf(K_SRCPORT) ? parseInteger(valueStart, valueEnd) : NaN;
  const dpt = valueOf(K_DPT) || valueOf(K_DSTPORT) ? parseInteger(valueStart, valueEnd) : NaN;
  const hostId = valueOf(K_CN1) ? parseInteger(valueStart, valueEnd) : NaN;
  if (tooBig) return false;

  // The row.
  let name = 0;
  if (cef) name = headerId(4, p4 + 1, <usize>load<u32>(pipes + 20));
  if (name == 0) name = valueId(K_NAME, 4);
  let version: i32;
  if (cef) {
    let s = pipe;
    while (s > start && isDigit(byte(s - 1))) s--;
    version = internIn(0, s, pipe);
  } else version = internIn(0, pipe - 3, pipe);
  putId(0, version);
  putId(1, headerId(1, p0 + 1, p1));
  putId(2, headerId(2, p1 + 1, p2));
  putId(3, headerId(3, p2 + 1, p3));
  putId(4, name);
  // Sources are many (a honeypot sees thousands): a memo would mostly miss, so straight to the table.
  putId(5, valueOf(K_SRC) ? internSource(valueStart, valueEnd) : 0);
  putId(6, valueId(K_DST, 6));
  putId(7, valueId(K_PROTO, 7));
  putId(8, valueId(K_ACT, 8));
  const dvchost = valueId(K_DVCHOST, 9);
  const dvc = valueId(K_DVC, 10);
  const syslogHost = noSyslogHost ? 0 : internIn(11, hostStart, hostEnd);
  putId(9, dvchost);
  putId(10, dvc);
  putId(11, syslogHost);
  putId(12, dvchost != 0 ? dvchost : dvc != 0 ? dvc : syslogHost);
  let user = valueId(K_DUSER, 13);
  if (user == 0) user = valueId(K_SUSER, 13);
  if (user == 0) user = valueId(K_USRNAME, 13);
  putId(13, user);
  const lineMs = stampMillis(stampKind, ts, markerStart, referenceMs, referenceYear);
  putNumber(0, isNaN(lineMs) ? fallbackMs : lineMs);
  putNumber(1, signatureId);
  putNumber(2, severity);
  putNumber(3, spt);
  putNumber(4, dpt);
  putNumber(5, hostId);
  store<u8>(formats + <usize>rows, cef ? 1 : 2);
  rows++;
  return true;
}
