/**
 * bin/register.js: the CLI's require hook. The project's files go through tsx; dependencies'
 * `.js` files load as Node loads them (tsx's ES module lexer over every one cost CPU for nothing),
 * except an ES module Node refuses to require (before 20.19), which tsx turns into CommonJS.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'bin', 'register.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dependencyAwareLoader } = require(path.join(ROOT, 'bin', 'dependency-loader.js')) as {
  dependencyAwareLoader: (node: (m: unknown, f: string) => void, tsx: (m: unknown, f: string) => void) => (m: unknown, f: string) => void;
};

describe('bin/register.js (its loader: bin/dependency-loader.js)', () => {
  const dependency = path.join(path.sep, 'app', 'node_modules', 'dep', 'index.js');
  const own = path.join(path.sep, 'app', 'lib', 'own.js');

  it("loads the project's .js files through tsx and dependencies' through Node", () => {
    const calls: string[] = [];
    const load = dependencyAwareLoader(
      (_m, f) => void calls.push(`node ${f}`),
      (_m, f) => void calls.push(`tsx ${f}`),
    );
    load({}, own);
    load({}, dependency);
    expect(calls).toEqual([`tsx ${own}`, `node ${dependency}`]);
  });

  it('hands a dependency Node refuses as an ES module to tsx, and rethrows any other error (or a refusal of another file)', () => {
    const calls: string[] = [];
    const esm = Object.assign(new Error(`require() of ES Module ${dependency} from /app/x.js not supported.`), { code: 'ERR_REQUIRE_ESM' });
    const load = dependencyAwareLoader(
      () => {
        throw esm;
      },
      (_m, f) => void calls.push(`tsx ${f}`),
    );
    load({}, dependency);
    expect(calls).toEqual([`tsx ${dependency}`]);
    const failing = dependencyAwareLoader(
      () => {
        throw new SyntaxError('Unexpected token');
      },
      (_m, f) => void calls.push(`tsx again ${f}`),
    );
    expect(() => failing({}, dependency)).toThrow(SyntaxError);
    // A refusal of another file (a require inside this one, after it began to run) is not this file's to retry.
    const nested = Object.assign(new Error('require() of ES Module /app/node_modules/other/index.js from /app/x.js not supported.'), { code: 'ERR_REQUIRE_ESM' });
    const inner = dependencyAwareLoader(
      () => {
        throw nested;
      },
      (_m, f) => void calls.push(`tsx nested ${f}`),
    );
    expect(() => inner({}, dependency)).toThrow(nested);
    expect(calls).toEqual([`tsx ${dependency}`]);
  });

  it('runs TypeScript, CommonJS and ES module dependencies in a real node process', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-register-'));
    try {
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      };
      write('node_modules/esm-only/package.json', JSON.stringify({ name: 'esm-only', type: 'module', main: 'index.js' }));
      write('node_modules/esm-only/index.js', 'export const answer = 41 + 1;\n');
      write('node_modules/plain-cjs/package.json', JSON.stringify({ name: 'plain-cjs', main: 'index.js' }));
      write('node_modules/plain-cjs/index.js', 'module.exports = { kind: typeof module.exports };\n');
      // Node 20.19 and later require ES modules themselves, even one its package does not mark as
      // one; before, ERR_REQUIRE_ESM sends a marked one to tsx.
      const byNode = (process.features as { require_module?: boolean }).require_module === true;
      write('node_modules/unmarked/package.json', JSON.stringify({ name: 'unmarked', main: 'index.js' }));
      write('node_modules/unmarked/index.js', byNode ? 'export const x = 1;\n' : 'exports.x = 1;\n');
      // An ES module loaded by Node is a module namespace object; tsx's CommonJS rewrite of it is a plain object.
      write('app.ts', "const tag = (m: Record<symbol, unknown>): string => String(m[Symbol.toStringTag]);\nconst esm = require('esm-only');\nconst unmarked = require('unmarked');\nconsole.log(JSON.stringify({ answer: esm.answer, x: unmarked.x, esm: tag(esm), unmarked: tag(unmarked), cjs: require('plain-cjs').kind }));\n");
      const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(REGISTER)}); require(${JSON.stringify(path.join(dir, 'app.ts'))});`], { cwd: dir, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ answer: 42, x: 1, esm: byNode ? 'Module' : 'undefined', unmarked: byNode ? 'Module' : 'undefined', cjs: 'object' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
