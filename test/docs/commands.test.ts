/**
 * The README's and docs' commands, so they cannot drift from the CLI (issue 14 item 9). What each
 * kind of command gets is in commands.ts; the dskit commands that can run offline run per file, in
 * the file's order, in a work directory holding a copy of the bundled example and exported events,
 * against the demo manager's tenant (lib/manager-double), with the exit code the docs promise.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli, type ParsedCommand } from '../../lib/cli/program';
import { loadConfig } from '../../lib/config';
import { seedDemoTenant } from '../../lib/manager-double/demo-tenant';
import { FakeManagerApi } from '../../lib/manager-double/fake-manager-api';
import { SAMPLES } from '../events/samples';
import { REPO_ROOT } from '../helpers/cli';
import { runDskitAsync } from '../manager/harness';
import { ALLOWED, NPM_ALLOWED, docCommands, docFiles, dskitArgs, type DocCommand } from './commands';

/** dskit commands that parse but cannot run here, and why. */
const PARSE_ONLY: Readonly<Record<string, string>> = {
  synth: '.ci/run runs npm run synth, and test/apps/synth.test.ts runs dskit synth',
  teardown: 'destroys the stacks with cdk/cdktf destroy: needs the clouds (teardown --manager-only runs here)',
  'demo-manager': 'serves until stopped: test/cli/demo-manager.test.ts runs it',
  exercise: 'triggers test events on deployed VMs: needs the clouds',
};

/** Files whose dskit commands parse here but need a config of another kind to run, and why. */
const PARSE_ONLY_FILES: Readonly<Record<string, string>> = {
  'docs/vision-one.md': 'its commands need a vision-one config with Agent Installer packages: test/manager/vision-one.test.ts runs policy ensure, verify and teardown on one',
};

/** Exit codes other than 0 the docs' commands have here, and why that is right. */
const EXIT: Readonly<Record<string, { readonly code: number; readonly why: string }>> = {
  preflight: { code: 1, why: "the bundled example's placeholder values (and this machine's missing cloud credentials) FAIL, as they must" },
};

/** What a file's prose asks for before its commands (README step 2.5: the sandbox policy). */
const SETUP: Readonly<Record<string, readonly string[][]>> = {
  'README.md': [['policy', 'ensure', '--parent', 'Linux Server']],
};

const API_KEY = 'docs-test-key-not-a-secret';
const commands = docCommands(REPO_ROOT);
const packageScripts = Object.keys(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts);
const where = (c: DocCommand) => `${c.file}:${c.line}: ${c.text}`;

/** The subcommands a pinned CLI lists in its --help. */
function subcommandsOf(tool: 'cdk' | 'cdktf'): Set<string> {
  const r = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', tool), ['--help'], { cwd: os.tmpdir(), env: { ...process.env, CHECKPOINT_DISABLE: '1' }, encoding: 'utf8', timeout: 120_000 });
  const names = new Set<string>();
  for (const m of `${r.stdout}`.matchAll(new RegExp(`^\\s+${tool} ([a-z][a-z-]*)(?=[\\s\\[])(.*?)(?:\\[aliases: ([^\\]]+)\\])?$`, 'gm'))) {
    names.add(m[1]);
    for (const a of (m[3] ?? '').split(',')) if (a.trim()) names.add(a.trim());
  }
  return names;
}

async function parsed(args: readonly string[]): Promise<{ code: number; command?: ParsedCommand; err: string }> {
  let command: ParsedCommand | undefined;
  const err: string[] = [];
  const code = await runCli(args, { io: { out: () => {}, err: (l) => err.push(l) }, parseOnly: (p) => (command = p) });
  return { code, command, err: err.join('\n') };
}

test('the docs have commands, and every one is of a kind this test knows', () => {
  expect(commands.length).toBeGreaterThan(50);
  const unknown = commands.filter((c) => {
    const [program] = c.words;
    return !(dskitArgs(c.words) || program === 'npm' || program === 'cp' || (program === 'npx' && ['cdk', 'cdktf'].includes(c.words[1])) || program in ALLOWED);
  });
  expect(unknown.map(where)).toEqual([]);
});

test('npx cdk / npx cdktf: each subcommand exists in the pinned CLI', () => {
  const known = { cdk: subcommandsOf('cdk'), cdktf: subcommandsOf('cdktf') };
  expect([...known.cdk]).toEqual(expect.arrayContaining(['deploy', 'destroy', 'bootstrap', 'context']));
  expect([...known.cdktf]).toEqual(expect.arrayContaining(['deploy', 'destroy', 'synth']));
  const bad = commands
    .filter((c) => c.words[0] === 'npx' && (c.words[1] === 'cdk' || c.words[1] === 'cdktf'))
    .filter((c) => !known[c.words[1] as 'cdk' | 'cdktf'].has(c.words[2] ?? ''));
  expect(bad.map(where)).toEqual([]);
});

test('npm: each `npm run X` is a script of package.json; what is not run here says why', () => {
  for (const c of commands.filter((x) => x.words[0] === 'npm')) {
    const sub = c.words[1] === 'run' ? `run ${c.words[2]}` : c.words[1];
    if (c.words[1] === 'run') expect([where(c), packageScripts.includes(c.words[2])]).toEqual([where(c), true]);
    expect([where(c), NPM_ALLOWED[sub] !== undefined]).toEqual([where(c), true]);
  }
});

test('npx dskit: every command, flag and value parses as the CLI parses it', async () => {
  const bad: string[] = [];
  for (const c of commands) {
    const args = dskitArgs(c.words);
    if (!args) continue;
    const r = await parsed(args);
    if (r.code !== 0 || !r.command) bad.push(`${where(c)}\n    ${r.err}`);
  }
  expect(bad).toEqual([]);
});

describe.each(docFiles(REPO_ROOT).filter((f) => commands.some((c) => c.file === f && (dskitArgs(c.words) || c.words[0] === 'cp'))))('%s: its runnable commands run', (file) => {
  let fake: FakeManagerApi;
  let url: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-docs-'));
    fs.copyFileSync(path.join(REPO_ROOT, 'sandbox.example.yaml'), path.join(work, 'sandbox.example.yaml'));
    fs.mkdirSync(path.join(work, 'exported'));
    const lines = `${SAMPLES.map((s) => s.line).join('\n')}\n`;
    fs.writeFileSync(path.join(work, 'exported', 'day1.log'), lines);
    fs.writeFileSync(path.join(work, 'day1.log.gz'), gzipSync(lines));
    fake = new FakeManagerApi({ apiKey: API_KEY });
    seedDemoTenant(fake, loadConfig({ configPath: path.join(REPO_ROOT, 'sandbox.example.yaml') }).config);
    url = await fake.start();
    // No cloud credentials of this machine reach preflight: its cloud checks fail at once, offline.
    const blank = Object.fromEntries(Object.keys(process.env).filter((k) => /^(AWS_|GOOGLE_|GCE_|CLOUDSDK_)/.test(k)).map((k) => [k, '']));
    env = { ...blank, HOME: work, AWS_EC2_METADATA_DISABLED: 'true', METADATA_SERVER_DETECTION: 'none', DS_API_KEY: API_KEY, NO_COLOR: '1' };
    for (const args of SETUP[file] ?? []) expect((await runDskitAsync(['--manager-url', url, ...args], { cwd: work, env })).code).toBe(0);
  });
  afterAll(async () => {
    await fake.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('each in order, with the exit code the docs promise', async () => {
    const failures: string[] = [];
    let ran = 0;
    let parseOnly = 0;
    for (const c of commands.filter((x) => x.file === file)) {
      if (c.words[0] === 'cp') {
        const r = spawnSync('cp', c.words.slice(1), { cwd: work });
        if (r.status !== 0) failures.push(`${where(c)} → exit ${r.status}`);
        ran++;
        continue;
      }
      const args = dskitArgs(c.words);
      if (!args) continue;
      const { command } = await parsed(args);
      if (!command) continue; // the parse test names it
      const managerOnly = command.command === 'teardown' && command.options.managerOnly === true;
      if ((command.command.split(' ')[0] in PARSE_ONLY && !managerOnly) || file in PARSE_ONLY_FILES) {
        parseOnly++;
        continue;
      }
      // The docs' --manager-url (the demo manager's) is this test's demo manager.
      const given = args.indexOf('--manager-url');
      const run = given >= 0 ? args.map((a, i) => (i === given + 1 ? url : a)) : ['--manager-url', url, ...args];
      const r = await runDskitAsync(run, { cwd: work, env, timeoutMs: 120_000 });
      const expected = EXIT[command.command]?.code ?? 0;
      if (r.code !== expected) failures.push(`${where(c)} → exit ${r.code}, expected ${expected}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      ran++;
    }
    expect(failures).toEqual([]);
    // A file of parse-only commands (every one named in PARSE_ONLY / PARSE_ONLY_FILES, with why) still had some.
    expect(ran + parseOnly).toBeGreaterThan(0);
  });
});

test('an empty events file gives empty reports and exits 0; lines without an event exit 1 (docs/events.md)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-empty-'));
  try {
    fs.writeFileSync(path.join(dir, 'empty.log'), '');
    fs.writeFileSync(path.join(dir, 'noise.log'), 'just a line\nanother\n');
    const empty = await runDskitAsync(['events', 'query', 'top-source-ips', '--from', 'empty.log'], { cwd: dir });
    expect(empty.code).toBe(0);
    const noise = await runDskitAsync(['events', 'query', 'top-source-ips', '--from', 'noise.log'], { cwd: dir });
    expect(noise.stderr).toMatch(/no CEF or LEEF event/);
    expect(noise.code).toBe(1);
    expect(fs.readFileSync(path.join(REPO_ROOT, 'docs', 'events.md'), 'utf8').replace(/\s+/g, ' ')).toMatch(/an empty file \(no lines at all\) gives empty reports and exits 0/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the Terraform version the docs require is the one the stack requires', () => {
  const { MIN_TERRAFORM_VERSION } = require('../../lib/gcp/terraform-version') as typeof import('../../lib/gcp/terraform-version');
  for (const [file, pattern] of [
    ['README.md', /Terraform (\d+\.\d+)\+/],
    ['docs/gcp.md', /the Terraform CLI \((\d+\.\d+) or later/],
  ] as const) {
    expect([file, pattern.exec(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'))?.[1]]).toEqual([file, MIN_TERRAFORM_VERSION]);
  }
});
