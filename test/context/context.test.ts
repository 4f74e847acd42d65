/**
 * dskit.context.json under concurrency and damage: several real processes write at once and no
 * record is lost; a damaged or wrong-typed file is one line naming the file and the key (exit 2),
 * from the CLI and from the CDK/CDKTF apps alike.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextFileError, cachePolicyId, changesOf, contextPath, forgetChange, readContext, recordChange } from '../../lib/context';
import { REPO_ROOT, runDskit } from '../helpers/cli';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-context-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `n` processes, each appending `perWriter` change records and caching a policy id, all started at once. */
function writers(n: number, perWriter: number): Promise<number[]> {
  const script = `
    const { recordChange, cachePolicyId } = require('./lib/context');
    const [dir, w, count] = process.argv.slice(1);
    // Start together: wait for the go file, so the writes overlap.
    while (!require('fs').existsSync(dir + '/go')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    for (let i = 0; i < Number(count); i++) {
      recordChange('ds-eval', { kind: 'test', id: Number(w) * 1000 + i, at: new Date().toISOString() }, dir);
      if (i % 5 === 0) cachePolicyId('policy-' + w, i + 1, dir);
    }`;
  const children = Array.from({ length: n }, (_, w) =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script, dir, String(w), String(perWriter)], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? -1));
    }),
  );
  // Give every process time to load, then let them all go.
  setTimeout(() => fs.writeFileSync(path.join(dir, 'go'), ''), 2500);
  return Promise.all(children);
}

describe('concurrent writers', () => {
  test('4 processes × 25 records: every record kept, the file valid JSON, no temp file left', async () => {
    const codes = await writers(4, 25);
    expect(codes).toEqual([0, 0, 0, 0]);
    const ids = changesOf('ds-eval', dir).map((c) => c.id).sort((a, b) => a - b);
    const want = [0, 1, 2, 3].flatMap((w) => Array.from({ length: 25 }, (_, i) => w * 1000 + i)).sort((a, b) => a - b);
    expect(ids).toEqual(want);
    expect(readContext(dir).policyIds).toEqual({ 'policy-0': 21, 'policy-1': 21, 'policy-2': 21, 'policy-3': 21 });
    expect(fs.readdirSync(dir).sort()).toEqual(['dskit.context.json', 'go']);
  }, 60_000);
});

describe('read-modify-write', () => {
  test('forgetChange removes only the matching record; keys a later dskit adds are kept', () => {
    fs.writeFileSync(contextPath(dir), JSON.stringify({ futureKey: { a: 1 } }));
    recordChange('ds-eval', { kind: 'policy-created', id: 5, name: 'p', at: 'now' }, dir);
    recordChange('ds-eval', { kind: 'policy-created', id: 6, name: 'q', at: 'now' }, dir);
    forgetChange('ds-eval', { kind: 'policy-created', id: 5 }, dir);
    expect(readContext(dir)).toEqual({ futureKey: { a: 1 }, changes: { 'ds-eval': [{ kind: 'policy-created', id: 6, name: 'q', at: 'now' }] } });
  });

  test('a lock left by a process that died is taken over once stale', () => {
    fs.mkdirSync(`${contextPath(dir)}.lock`);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${contextPath(dir)}.lock`, old, old);
    cachePolicyId('p', 3, dir);
    expect(readContext(dir).policyIds).toEqual({ p: 3 });
  });
});

describe('a damaged or wrong-typed file', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"policyIds": {"a": 1}', /dskit\.context\.json: not valid JSON/],
    ['a policy id as a string', '{"policyIds": {"ds-eval-policy": "12"}}', /dskit\.context\.json: policyIds\["ds-eval-policy"\]: got "12"; expected number/],
    ['policyIds as a string (would be spread character by character)', '{"policyIds": "abc"}', /dskit\.context\.json: policyIds: got "abc"; expected object/],
    ['a change without an id', '{"changes": {"ds-eval": [{"kind": "policy-created", "at": "x"}]}}', /dskit\.context\.json: changes\["ds-eval"\]\[0\]\.id: got nothing; expected number/],
    ['changes as an array', '{"changes": []}', /dskit\.context\.json: changes: got \[\]; expected object/],
    ['a top-level array', '[]', /dskit\.context\.json: \(top level\): got \[\]; expected object/],
  ];
  test.each(cases)('%s: ContextFileError naming the file and the key', (_name, text, message) => {
    fs.writeFileSync(contextPath(dir), text);
    let err: unknown;
    try {
      readContext(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ContextFileError);
    expect((err as ContextFileError).problems).toHaveLength(1);
    expect((err as ContextFileError).problems[0]).toMatch(message);
    expect((err as ContextFileError).problems[0]).toContain(contextPath(dir));
  });

  test('a writer refuses a damaged file rather than overwrite it', () => {
    fs.writeFileSync(contextPath(dir), '{"policyIds": "abc"}');
    expect(() => cachePolicyId('p', 1, dir)).toThrow(ContextFileError);
    expect(fs.readFileSync(contextPath(dir), 'utf8')).toBe('{"policyIds": "abc"}');
  });

  test('dskit teardown and policy resolve: one line, exit 2, no stack trace', () => {
    fs.copyFileSync(path.join(REPO_ROOT, 'sandbox.example.yaml'), path.join(dir, 'sandbox.yaml'));
    fs.writeFileSync(contextPath(dir), '{"changes": {"ds-eval": "oops"}}');
    for (const args of [['teardown', '--yes'], ['teardown', '--manager-only', '--yes']]) {
      const r = runDskit(args, { cwd: dir, env: { DS_API_KEY: 'x' } });
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toEqual([`${contextPath(dir)}: changes["ds-eval"]: got "oops"; expected array; fix or remove that entry (or delete the file: \`dskit policy resolve\` and \`policy ensure\` rebuild ids, but recorded manager changes are lost)`]);
    }
  });

  test('the CDKTF app synth: one line naming the file and key, exit 2', () => {
    const raw = fs.readFileSync(path.join(REPO_ROOT, 'sandbox.example.yaml'), 'utf8').replace(/^policy:\n  id: \d+/m, 'policy:\n  name: ds-eval-policy');
    expect(raw).toContain('name: ds-eval-policy');
    fs.writeFileSync(path.join(dir, 'sandbox.yaml'), raw);
    fs.writeFileSync(contextPath(dir), '{"policyIds": {"ds-eval-policy": true}}');
    const r = require('node:child_process').spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'bin', 'gcp.ts')], {
      cwd: dir,
      env: { ...process.env, DSKIT_CONFIG: path.join(dir, 'sandbox.yaml'), CDKTF_OUTDIR: path.join(dir, 'out') },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/dskit\.context\.json: policyIds\["ds-eval-policy"\]: got true; expected number/)]);
  });
});
