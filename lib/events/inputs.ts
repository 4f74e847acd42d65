/**
 * `--from` paths → the sources to read: files as given (symlinks followed), directories walked
 * (sorted, hidden entries skipped, each directory once even through symlink loops), `-` for
 * standard input. FIFOs, sockets and devices are refused by path (a FIFO would block, a device
 * never ends): pipe them into `--from -` instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class InputError extends Error {
  override name = 'InputError';
}

/** `-`: standard input. */
export const STDIN = '-';

function kindOf(stat: fs.Stats): string | null {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return null;
}

function refuse(given: string, kind: string): never {
  throw new InputError(`--from: ${given} is ${kind}; only regular files and directories are read (pipe it in with --from - instead)`);
}

function walk(dir: string, given: string, seen: Set<string>, out: string[]): void {
  const real = fs.realpathSync(dir);
  const stat = fs.statSync(real);
  const id = `${stat.dev}:${stat.ino}`;
  if (seen.has(id)) return; // a symlink loop or a second way to the same directory
  seen.add(id);
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    let s: fs.Stats;
    try {
      s = fs.statSync(full);
    } catch {
      continue; // a dangling symlink inside a directory: nothing to read
    }
    if (s.isDirectory()) walk(full, given, seen, out);
    else if (s.isFile()) out.push(full);
    // FIFOs, sockets and devices inside a directory are skipped, not read.
  }
}

/** The files to read, in order, without repeats; `-` stays as it is. */
export function inputFiles(paths: readonly string[], cwd: string): string[] {
  if (paths.length === 0) throw new InputError('--from: give at least one exported file or directory, or - for standard input');
  const files: string[] = [];
  const seenDirs = new Set<string>();
  for (const given of paths) {
    if (given === STDIN) {
      if (files.includes(STDIN)) throw new InputError('--from: - (standard input) given twice');
      files.push(STDIN);
      continue;
    }
    const full = path.resolve(cwd, given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new InputError(`--from: ${given}: a symlink loop`);
      throw new InputError(`--from: ${given}: no such file or directory`);
    }
    const kind = kindOf(stat);
    if (kind) refuse(given, kind);
    if (stat.isDirectory()) {
      const inside: string[] = [];
      walk(full, given, seenDirs, inside);
      if (inside.length === 0) throw new InputError(`--from: ${given}: the directory holds no files`);
      files.push(...inside);
    } else files.push(full);
  }
  return [...new Set(files)];
}
