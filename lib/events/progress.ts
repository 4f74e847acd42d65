/**
 * The live progress line of a long read: on a terminal, one line rewritten in place (MB read,
 * MB/s, lines/s); nothing when stderr is a pipe or a file, so logs and scripts stay clean.
 */
import type { LoadProgress } from './load';

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const mb = (bytes: number) => bytes / 1_048_576;

export function progressText(p: LoadProgress): string {
  const seconds = Math.max(p.elapsedMs, 1) / 1000;
  const done = `${mb(p.bytesDone).toFixed(1)}${p.bytes > 0 ? ` of ${mb(p.bytes).toFixed(1)}` : ''} MB`;
  const pct = p.bytes > 0 ? ` (${Math.min(100, Math.floor((100 * p.bytesDone) / p.bytes))}%)` : '';
  const rate = `${(mb(p.bytesDone) / seconds).toFixed(0)} MB/s, ${Math.round(p.lines / seconds).toLocaleString('en-US')} lines/s`;
  return `reading events: ${done}${pct}, ${p.lines.toLocaleString('en-US')} lines, ${rate}`;
}

export class ProgressLine {
  private shown = false;

  constructor(private readonly stream: ProgressStream) {}

  get live(): boolean {
    return this.stream.isTTY === true;
  }

  update(p: LoadProgress): void {
    if (!this.live) return;
    // \r and "erase line": the next update overwrites this one.
    this.stream.write(`\r\x1b[2K${progressText(p)}`);
    this.shown = true;
  }

  /** Removes the line, so what follows starts on a clean line. */
  done(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
