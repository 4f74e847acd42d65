/**
 * The WebAssembly fast path of the line scanner (source: lib/events/wasm/scanner.ts, an
 * AssemblyScript reading of the plain lines by scan.ts's rules). A block of complete lines is
 * copied into the module's memory and read there; the rows come back as the module's own
 * dictionary ids, which are mirrored into the scanner's dictionary (once per distinct value) and
 * handed to EventScanner.takeRows, which adds what needs TypeScript-side tables (module, service,
 * country). The lines the module hands back go to the TypeScript scanner as before, so every line
 * is read by exactly one of the two, and both by the same rules.
 *
 * `DSKIT_EVENTS_SCANNER=js` (LoadOptions.scanner) turns the fast path off: the differential tests
 * and the bench compare the two.
 */
import * as path from 'node:path';
import type { EventScanner } from './scan';
import { instantiate, type ModuleMemory } from './wasm-module';

interface ScannerExports extends ModuleMemory {
  readonly ROWS: { readonly value: number };
  readonly ID_COLUMNS: { readonly value: number };
  readonly NUMBER_COLUMNS: { readonly value: number };
  init(): void;
  inputFor(size: number): number;
  idsAt(): number;
  numbersAt(): number;
  formatsAt(): number;
  handedBackAt(): number;
  rowCount(): number;
  handedBackLines(): number;
  takenLines(): number;
  entries(): number;
  entriesAt(): number;
  arenaAt(): number;
  resetDictionary(): void;
  scan(start: number, end: number, fallbackMs: number, referenceMs: number, referenceYear: number, maxLine: number): number;
}

/** The compiled module's file (built by `npm run build:wasm`). */
export const SCANNER_WASM = path.join(__dirname, 'wasm', 'scanner.wasm');

/** Which scanner reads plain lines: the WebAssembly fast path (handing odd lines to TypeScript), or TypeScript alone. */
export type ScannerKind = 'wasm' | 'js';
export const SCANNER_KINDS: readonly ScannerKind[] = ['wasm', 'js'];

/** `DSKIT_EVENTS_SCANNER` (wasm, the default, or js); null when it is none of those. */
export function scannerFromEnv(env: NodeJS.ProcessEnv = process.env): ScannerKind | null {
  const value = env.DSKIT_EVENTS_SCANNER ?? 'wasm';
  return (SCANNER_KINDS as readonly string[]).includes(value) ? (value as ScannerKind) : null;
}

/** The rows of one scan call, as views into the module's memory (valid until the next call). */
export interface FastRows {
  readonly count: number;
  /** Column-major ids: column c of row r at c * stride + r (see the module's ID_COLUMNS). */
  readonly ids: Uint32Array;
  /** Column-major numbers, the same way (NaN: NULL). */
  readonly numbers: Float64Array;
  /** 1 CEF, 2 LEEF, per row. */
  readonly formats: Uint8Array;
  readonly stride: number;
  /** Module id → the scanner dictionary's id. */
  readonly translate: Uint32Array;
}

const byScanner = new WeakMap<EventScanner, FastLineScanner>();

/**
 * Distinct values the module's dictionary holds before it starts afresh (resetDictionary, checked
 * before each call, which adds at most 4,096 rows' values): some 20 MB of its memory at most. Without it, an input of unique values (a source per line) made
 * the module hold a second copy of them all: 80 MB more than the TypeScript scanner on 600,000.
 */
export const MODULE_DICTIONARY_LIMIT = 1 << 18;

export interface FastScanOptions {
  /** @default MODULE_DICTIONARY_LIMIT */
  readonly dictionaryLimit?: number;
}

export class FastLineScanner {
  /** The fast path of a scanner (one module instance and its dictionary per scanner; options count on the first call). */
  static for(scanner: EventScanner, opts: FastScanOptions = {}): FastLineScanner {
    let fast = byScanner.get(scanner);
    if (fast === undefined) {
      fast = new FastLineScanner(scanner, opts.dictionaryLimit ?? MODULE_DICTIONARY_LIMIT);
      byScanner.set(scanner, fast);
    }
    return fast;
  }

  private readonly x: ScannerExports;
  private readonly stride: number;
  private translate = new Uint32Array(1 << 12);
  private mirrored = 0;
  /** Lines the module read, and lines it handed to the TypeScript scanner (the tests check both happen). */
  linesTaken = 0;
  linesHandedBack = 0;

  /** Times the module's dictionary started afresh. */
  dictionaryResets = 0;

  private constructor(
    private readonly scanner: EventScanner,
    private readonly dictionaryLimit: number,
  ) {
    this.x = instantiate<ScannerExports>(SCANNER_WASM);
    this.x.init();
    this.stride = this.x.ROWS.value;
  }

  /**
   * Reads the complete lines of buf[0, end) (end just past an LF): the module takes what it can,
   * `rest(start, end)` gets every other line (end excludes the LF). Returns the lines taken.
   */
  readBlock(buf: Buffer, end: number, fallbackMs: number, referenceMs: number, maxLine: number, rest: (start: number, end: number) => void): number {
    const x = this.x;
    const input = x.inputFor(end);
    new Uint8Array(x.memory.buffer, input, end).set(buf.subarray(0, end));
    // As scan.ts dates BSD stamps: the source's time, else the reference, else now.
    const settled = Number.isNaN(fallbackMs) ? referenceMs : fallbackMs;
    const reference = Number.isNaN(settled) ? Date.now() : settled;
    const year = new Date(reference).getUTCFullYear();
    let taken = 0;
    let at = 0;
    while (at < end) {
      if (x.entries() >= this.dictionaryLimit) {
        x.resetDictionary();
        this.mirrored = 0;
        this.dictionaryResets += 1;
      }
      try {
        at = x.scan(at, end, fallbackMs, reference, year, maxLine);
      } catch (err) {
        // Out of memory (the module cannot grow) traps as `unreachable`: say what to do instead.
        throw new Error(`events: the WebAssembly scanner failed (${(err as Error).message}); run again with DSKIT_EVENTS_SCANNER=js to read without it`);
      }
      this.mirror();
      const memory = x.memory.buffer;
      const count = x.rowCount();
      if (count > 0) {
        const stride = this.stride;
        this.scanner.takeRows({
          count,
          stride,
          ids: new Uint32Array(memory, x.idsAt(), stride * x.ID_COLUMNS.value),
          numbers: new Float64Array(memory, x.numbersAt(), stride * x.NUMBER_COLUMNS.value),
          formats: new Uint8Array(memory, x.formatsAt(), stride),
          translate: this.translate,
        });
      }
      taken += x.takenLines();
      const handed = x.handedBackLines();
      this.linesHandedBack += handed;
      if (handed > 0) {
        const lines = new Int32Array(memory, x.handedBackAt(), handed * 2).slice();
        for (let i = 0; i < handed; i++) rest(lines[2 * i], lines[2 * i + 1]);
      }
    }
    this.linesTaken += taken;
    return taken;
  }

  /** The module's new dictionary entries into the scanner's dictionary. */
  private mirror(): void {
    const x = this.x;
    const count = x.entries();
    if (count === this.mirrored) return;
    if (count >= this.translate.length) {
      const grown = new Uint32Array(Math.max(count + 1, this.translate.length * 2));
      grown.set(this.translate);
      this.translate = grown;
    }
    const memory = x.memory.buffer;
    const bytes = new Uint8Array(memory);
    // Per id, its offset in the arena and its length.
    const entries = new Uint32Array(memory, x.entriesAt(), (count + 1) * 2);
    const arena = x.arenaAt();
    const dictionary = this.scanner.dictionary;
    for (let id = this.mirrored + 1; id <= count; id++) {
      const start = arena + entries[2 * id];
      this.translate[id] = dictionary.intern(bytes, start, start + entries[2 * id + 1]);
    }
    this.mirrored = count;
  }
}
