/**
 * Colour on a terminal, never in a pipe, a file or `--json`. The decision follows the ecosystem's
 * conventions, in Node's own order (tty.WriteStream.getColorDepth): `FORCE_COLOR` (set, and not
 * 0/false) turns colour on even in a pipe; else `NO_COLOR` (no-color.org: present and not
 * empty) or `NODE_DISABLE_COLORS` or `TERM=dumb` turn it off; else colour when the stream is a
 * terminal that has colours. The escapes come from Node's `util.styleText` (no dependency).
 */
import { styleText } from 'node:util';

export interface ColourStream {
  readonly isTTY?: boolean;
  hasColors?(env?: object): boolean;
}

export function colourEnabled(stream: ColourStream | undefined, env: NodeJS.ProcessEnv): boolean {
  // Present, even empty, forces it (as Node and supports-color read it), unless 0 or false.
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if ((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.NODE_DISABLE_COLORS !== undefined || env.TERM === 'dumb') return false;
  return stream?.isTTY === true && (stream.hasColors?.(env) ?? false);
}

export type Style = 'pass' | 'fail' | 'warn' | 'skip' | 'bold' | 'dim';

const FORMATS: Record<Style, Parameters<typeof styleText>[0]> = {
  pass: 'green',
  fail: ['bold', 'red'],
  warn: 'yellow',
  skip: 'dim',
  bold: 'bold',
  dim: 'dim',
};

/** `paint(style, text)`: the text styled when colour is on, else as it is. */
export type Painter = (style: Style, text: string) => string;

export function painter(enabled: boolean): Painter {
  // validateStream false: whether to colour is decided above, for the stream the text goes to.
  return enabled ? (style, text) => styleText(FORMATS[style], text, { validateStream: false }) : (_style, text) => text;
}
