/**
 * The default output streams. A status line (progress of a long wait) is rewritten in place on a
 * terminal — carriage return, erase the line, the new text cut to the terminal's width — and
 * appended as a plain line anywhere else (a pipe, a file, CI logs), so logs keep every step.
 * Any other line first ends an open status line, so nothing is written over it.
 */
import type { ColourStream } from './colour';

export interface TextStream extends ColourStream {
  readonly columns?: number;
  write(text: string): unknown;
}

export interface Streams {
  out(line: string): void;
  err(line: string): void;
  status(line: string): void;
  /** Ends an open status line (a newline after it); safe to call when none is open. */
  endStatus(): void;
  readonly streams: { readonly out: TextStream; readonly err: TextStream };
}

/** ESC [ 2 K: erase the whole line (ECMA-48 EL with parameter 2). */
const ERASE_LINE = '\x1b[2K';

/** The text cut to `width` characters, ending in an ellipsis when cut. */
export function fitWidth(text: string, width: number | undefined): string {
  if (!width || width < 10 || [...text].length < width) return text;
  return `${[...text].slice(0, width - 2).join('')}…`;
}

export function streamsFor(out: TextStream, err: TextStream): Streams {
  let open = false;
  const close = () => {
    if (open) err.write('\n');
    open = false;
  };
  return {
    streams: { out, err },
    out: (line) => {
      close();
      out.write(`${line}\n`);
    },
    err: (line) => {
      close();
      err.write(`${line}\n`);
    },
    status: (line) => {
      if (err.isTTY !== true) {
        err.write(`${line}\n`);
        return;
      }
      err.write(`\r${ERASE_LINE}${fitWidth(line, err.columns)}`);
      open = true;
    },
    endStatus: close,
  };
}
