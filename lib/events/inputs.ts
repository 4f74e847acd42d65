/** `--from` paths → the files to read: files as given, directories walked (sorted, hidden skipped). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class InputError extends Error {
  override name = 'InputError';
}

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return walk(full);
      return e.isFile() ? [full] : [];
    });
}

export function inputFiles(paths: readonly string[], cwd: string): string[] {
  if (paths.length === 0) throw new InputError('--from: give at least one exported file or directory');
  const files: string[] = [];
  for (const given of paths) {
    const full = path.resolve(cwd, given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch {
      throw new InputError(`--from: ${given}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const inside = walk(full);
      if (inside.length === 0) throw new InputError(`--from: ${given}: the directory holds no files`);
      files.push(...inside);
    } else files.push(full);
  }
  return [...new Set(files)];
}
