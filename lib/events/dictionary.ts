/**
 * Interned byte strings: the scanner turns every text value into a small integer id without
 * making a JavaScript string per value (that, not the scanning, is what a naive parser spends
 * its time on). Id 0 is NULL. Texts are decoded (UTF-8, invalid bytes as U+FFFD) only once per
 * distinct value.
 */
export class Dictionary {
  private arena: Buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private offsets = new Uint32Array(1 << 12);
  private lengths = new Uint32Array(1 << 12);
  private hashes = new Int32Array(1 << 12);
  private table = new Int32Array(1 << 13);
  private mask = (1 << 13) - 1;
  private texts: (string | undefined)[] = [undefined];
  /** Ids in use are 1..count. */
  count = 0;

  /** The id of bytes [start, end) of `buf`. */
  intern(buf: Uint8Array, start: number, end: number): number {
    let h = -2128831035;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 16777619);
    const length = end - start;
    const table = this.table;
    let slot = h & this.mask;
    for (;;) {
      const id = table[slot];
      if (id === 0) break;
      if (this.hashes[id] === h && this.lengths[id] === length) {
        const offset = this.offsets[id];
        const arena = this.arena;
        let same = true;
        for (let i = 0; i < length; i++) {
          if (arena[offset + i] !== buf[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
      slot = (slot + 1) & this.mask;
    }
    return this.add(buf, start, end, h, slot);
  }

  /**
   * The id of bytes [start, end) (not empty), through `memo`: a small direct-mapped cache of the
   * ids one column saw, slotted by the value's length and a few of its bytes. Most columns hold
   * a few distinct values, so a hit (one comparison, no hash, no probe) is the usual case.
   */
  internMemo(memo: Uint32Array, buf: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const slot = (length * 0x9e3 + buf[start] * 0x3b + buf[end - 1] * 0x1f1 + buf[end - 2 >= start ? end - 2 : start] * 0x71 + buf[start + (length >> 1)] * 0x1d) & (memo.length - 1);
    const id = memo[slot];
    if (id !== 0 && this.lengths[id] === length) {
      const offset = this.offsets[id];
      const arena = this.arena;
      let i = length - 1;
      // From the end: values of one column tend to share their start (addresses, host names).
      while (i >= 0 && arena[offset + i] === buf[start + i]) i--;
      if (i < 0) return id;
    }
    const found = this.intern(buf, start, end);
    memo[slot] = found;
    return found;
  }

  /** The id of a JavaScript string's UTF-8 bytes. */
  internString(text: string): number {
    const bytes = Buffer.from(text, 'utf8');
    return this.intern(bytes, 0, bytes.length);
  }

  /** The text of an id (null for 0). */
  text(id: number): string | null {
    if (id === 0) return null;
    let t = this.texts[id];
    if (t === undefined) {
      t = this.arena.toString('utf8', this.offsets[id], this.offsets[id] + this.lengths[id]);
      this.texts[id] = t;
    }
    return t;
  }

  /** Whether the text of `id` contains `needle` (ASCII). */
  includes(id: number, needle: string): boolean {
    return id !== 0 && this.arena.subarray(this.offsets[id], this.offsets[id] + this.lengths[id]).includes(needle);
  }

  /** Bytes held, for memory accounting. */
  get bytes(): number {
    return this.used + this.offsets.byteLength * 3 + this.table.byteLength;
  }

  private add(buf: Uint8Array, start: number, end: number, h: number, slot: number): number {
    const length = end - start;
    if (this.used + length > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + length));
      this.arena.copy(grown, 0, 0, this.used);
      this.arena = grown;
    }
    for (let i = 0; i < length; i++) this.arena[this.used + i] = buf[start + i];
    const id = ++this.count;
    if (id >= this.offsets.length) {
      const grow = <T extends Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.offsets = grow(this.offsets, (n) => new Uint32Array(n));
      this.lengths = grow(this.lengths, (n) => new Uint32Array(n));
      this.hashes = grow(this.hashes, (n) => new Int32Array(n));
    }
    this.offsets[id] = this.used;
    this.lengths[id] = length;
    this.hashes[id] = h;
    this.used += length;
    this.table[slot] = id;
    if (id * 2 > this.mask) this.rehash();
    return id;
  }

  private rehash(): void {
    const size = (this.mask + 1) * 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let id = 1; id <= this.count; id++) {
      let slot = this.hashes[id] & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
    this.mask = mask;
  }
}
