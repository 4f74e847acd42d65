/**
 * CDKTF stays inside the GCP part (a move to the `cdktn` fork must be a rename there), and the
 * provider package is only deep-imported: its root loads ~900 modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/cli';

// .cache holds the boot-script tests' Debian root filesystem (with /proc mounted while it runs).
const SKIP = new Set(['node_modules', 'cdk.out', 'cdktf.out', '.git', '.gen', '.cache']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(e.name) ? [full] : [];
  });
}

const IMPORT_OF = /(?:from\s+|require\(\s*|import\(\s*|import\s+)['"]([^'"]+)['"]/g;
const importsOf = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(IMPORT_OF)].map((m) => m[1]);
const rel = (file: string) => path.relative(REPO_ROOT, file).split(path.sep).join('/');

describe('cdktf imports', () => {
  let files: { file: string; imports: string[] }[];
  beforeAll(() => {
    files = sourceFiles(REPO_ROOT).map((file) => ({ file: rel(file), imports: importsOf(file) }));
  });

  test('the scan sees the GCP stack and its deep imports (so an empty scan cannot pass)', () => {
    const stack = files.find((f) => f.file === 'stacks/gcp-sandbox-stack.ts');
    expect(stack?.imports).toContain('@cdktf/provider-google/lib/provider');
  });

  test('nothing imports the @cdktf/provider-google package root', () => {
    const offenders = files.filter((f) => f.imports.some((i) => i === '@cdktf/provider-google' || i === '@cdktf/provider-google/lib')).map((f) => f.file);
    expect(offenders).toEqual([]);
  });

  test('cdktf and its providers are imported only by the GCP part, its tests and benches', () => {
    const allowed = (file: string) =>
      file.startsWith('lib/gcp/') || file.startsWith('stacks/gcp-') || file === 'bin/gcp.ts' || file.startsWith('test/') || file.startsWith('bench/');
    const offenders = files
      .filter((f) => f.imports.some((i) => i === 'cdktf' || i.startsWith('cdktf/') || i.startsWith('@cdktf/')))
      .map((f) => f.file)
      .filter((file) => !allowed(file));
    expect(offenders).toEqual([]);
  });
});
