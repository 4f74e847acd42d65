/**
 * What a CLI of this ecosystem is expected to do (issue 14 item 6, 7): --version, help that shows
 * the global flags and exit codes, one JSON shape on success and failure, options that do not
 * eat positionals, colour only where it belongs, durations that add up.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { colourEnabled, painter } from '../../lib/cli/colour';
import { formatDuration, parseDuration } from '../../lib/cli/commands/manager-session';
import { stillWaiting } from '../../lib/cli/commands/verify';
import { configKeyOf, envelope, jsonValue } from '../../lib/cli/output';
import { fitWidth, streamsFor } from '../../lib/cli/progress';
import { runCli, type ParsedCommand } from '../../lib/cli/program';
import { EXAMPLE_CONFIG } from '../../lib/config';
import { REPORT_IDS } from '../../lib/events';
import { runDskit } from '../helpers/cli';

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

/** Parse argv as the CLI does, without running the command. */
async function parse(argv: string[]): Promise<{ code: number; parsed?: ParsedCommand; err: string[] }> {
  let parsed: ParsedCommand | undefined;
  const err: string[] = [];
  const code = await runCli(argv, { io: { out: () => {}, err: (l) => err.push(l) }, parseOnly: (p) => (parsed = p) });
  return { code, parsed, err };
}

describe('--version and help', () => {
  test('--version and -V print the package version, exit 0', () => {
    for (const flag of ['--version', '-V']) {
      const r = runDskit([flag]);
      expect(r.stdout.trim()).toBe(pkg.version);
      expect(r.code).toBe(0);
    }
  });

  test("a subcommand's --help lists its own flags, the global ones, and the exit codes", () => {
    const r = runDskit(['policy', 'ensure', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Options:\n {2}--parent <name>/m);
    expect(r.stdout).toMatch(/^Global Options:$/m);
    for (const flag of ['--config <file>', '--json', '--manager-url <url>']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toMatch(/^Exit codes: 0 success; 1 the operation found a problem; 2 bad usage or bad config; 130 interrupted at a question\.$/m);
  });

  test('events query --help lists every report by name', () => {
    const r = runDskit(['events', 'query', '--help']);
    expect(r.code).toBe(0);
    for (const id of REPORT_IDS) expect(r.stdout).toMatch(new RegExp(`^ {2}${id} +\\S`, 'm'));
  });
});

describe('options that take a value', () => {
  test('--from takes one path: the report after it stays the positional argument', async () => {
    const r = await parse(['events', 'query', '--from', 'a.log', 'top-source-ips']);
    expect(r.parsed).toMatchObject({ command: 'events query', args: ['top-source-ips'], options: { from: ['a.log'] } });
  });

  test('--from repeats, and - (standard input) is a value like any other', async () => {
    const r = await parse(['rules', 'promote', '--from', 'day1.log', '--from', '-', '--from', 'exported/']);
    expect(r.parsed?.options.from).toEqual(['day1.log', '-', 'exported/']);
    const q = await parse(['events', 'report', '--from', '-']);
    expect(q.parsed?.options.from).toEqual(['-']);
  });

  test('a second word after --from is an error, not a file (exit 2)', async () => {
    const r = await parse(['rules', 'promote', '--from', 'a.log', 'b.log']);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/too many arguments/);
  });

  test('global flags after the command, and a value that looks like a command, parse as given', async () => {
    const r = await parse(['verify', '--wait', '15m', '--config', 'verify', '--json']);
    expect(r.parsed).toMatchObject({ command: 'verify', options: { wait: '15m', config: 'verify', json: true } });
  });
});

describe('--json: one shape, on errors too', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-json-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const KEYS = ['ok', 'command', 'exitCode', 'data', 'problems'];

  test('a usage error: the envelope on stdout naming the flag, the message on stderr, exit 2', () => {
    const r = runDskit(['--json', 'agent-script', '--cloud', 'aws', '--vm', 'web', '--index', '7']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(KEYS);
    expect(out).toMatchObject({ ok: false, command: 'agent-script', exitCode: 2, data: null });
    expect(out.problems).toEqual([{ severity: 'error', key: '--index', message: expect.stringMatching(/^--index: got "7"; allowed: 1\.\.1/), fix: null }]);
    expect(r.stderr).toMatch(/dskit: --index: got "7"/);
  });

  test('an unknown option and a missing required one are envelopes too (commander errors)', () => {
    const r = runDskit(['policy', 'ensure', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, command: 'policy ensure', exitCode: 2, data: null, problems: [{ key: '--parent', severity: 'error' }] });
    const u = runDskit(['--json', 'verify', '--bogus']);
    expect(JSON.parse(u.stdout)).toMatchObject({ command: 'verify', exitCode: 2, problems: [{ key: '--bogus', message: "unknown option '--bogus'" }] });
  });

  test('a command group without its command (dskit events): the envelope says a command is required, exit 2', () => {
    const r = runDskit(['--json', 'events']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, command: 'events', problems: [{ message: 'dskit events: a command is required (they are listed on stderr)', fix: 'run dskit events --help' }] });
    expect(r.stderr).toMatch(/query \[options\] <report>/);
  });

  test('a config error: one problem per line of it, each with its key', () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      fs.readFileSync(EXAMPLE_CONFIG, 'utf8').replace('os: windows-2022\n      instanceType', 'os: windows-2019\n      instanceType').replace('retentionDays: 30', 'retentionDays: 0'),
    );
    const r = runDskit(['--json', '--config', bad, 'verify']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, command: 'verify', data: null });
    expect(out.problems.map((p: any) => p.key).sort()).toEqual(['aws.vms[1].os', 'events.retentionDays']);
    expect(out.problems.every((p: any) => p.message.startsWith(`${bad}: `))).toBe(true);
  });

  test('success: data holds the result, problems the warnings; stdout is that one document', () => {
    const r = runDskit(['--json', 'agent-script', '--cloud', 'aws', '--vm', 'web']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, command: 'agent-script', exitCode: 0 });
    expect(Object.keys(out.data)).toEqual(['cloud', 'vm', 'index', 'platform', 'displayName', 'script', 'warnings']);
    expect(out.problems.every((p: any) => p.severity === 'warning')).toBe(true);
    expect(out.problems.map((p: any) => p.message)).toEqual(out.data.warnings);
  });

  test('values: undefined is null in objects and arrays, Dates and epoch times ISO, Maps and Sets plain', () => {
    expect(jsonValue({ a: undefined, b: [1, undefined], c: new Date(Date.UTC(2026, 0, 2)), d: new Map([[1, new Set(['x'])]]), e: Number.NaN })).toEqual({
      a: null,
      b: [1, null],
      c: '2026-01-02T00:00:00.000Z',
      d: { 1: ['x'] },
      e: null,
    });
    expect(JSON.stringify(envelope('verify', 1, { x: undefined }, []))).toBe('{"ok":false,"command":"verify","exitCode":1,"data":{"x":null},"problems":[]}');
  });

  test('a config line names its key; a line about the file itself names none', () => {
    expect(configKeyOf('/a b/s.yaml: aws.vms[1].os: got "x"; allowed: y', '/a b/s.yaml')).toBe('aws.vms[1].os');
    expect(configKeyOf('/a b/s.yaml: cannot read the config file', '/a b/s.yaml')).toBeNull();
  });
});

describe('colour', () => {
  const tty = { isTTY: true, hasColors: () => true };
  const pipe = { isTTY: false, hasColors: () => true };

  test('on a terminal that has colours; never in a pipe; NO_COLOR and TERM=dumb turn it off; FORCE_COLOR on', () => {
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(pipe, {})).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '' })).toBe(true); // no-color.org: present and not empty
    expect(colourEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourEnabled(pipe, { FORCE_COLOR: '', NO_COLOR: '1' })).toBe(true); // set, even empty, wins (Node, supports-color)
  });

  test('painted text carries SGR escapes; unpainted text is the text', () => {
    expect(painter(true)('fail', 'FAIL')).toBe('\x1b[1m\x1b[31mFAIL\x1b[39m\x1b[22m');
    expect(painter(false)('fail', 'FAIL')).toBe('FAIL');
  });

  test('the CLI: FORCE_COLOR paints preflight outcomes, NO_COLOR (or a pipe) does not, --json never', () => {
    // No cloud credentials of this machine: the AWS checks fail at once, offline.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-colour-'));
    const offline = { HOME: home, AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', AWS_CONFIG_FILE: path.join(home, 'c'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'k'), AWS_EC2_METADATA_DISABLED: 'true', DS_API_KEY: '' };
    const forced = runDskit(['preflight', '--cloud', 'aws'], { env: { ...offline, FORCE_COLOR: '1', NO_COLOR: undefined } });
    expect(forced.stdout).toMatch(/^\x1b\[1m\x1b\[31mFAIL\x1b\[39m\x1b\[22m {2}no placeholder values/m);
    const plain = runDskit(['preflight', '--cloud', 'aws'], { env: { ...offline, NO_COLOR: '1', FORCE_COLOR: undefined } });
    expect(plain.stdout).toMatch(/^FAIL {2}no placeholder values/m);
    expect(plain.stdout).not.toContain('\x1b[');
    const json = runDskit(['--json', 'preflight', '--cloud', 'aws'], { env: { ...offline, FORCE_COLOR: '1' } });
    fs.rmSync(home, { recursive: true, force: true });
    expect(json.stdout).not.toContain('\\u001b[');
    expect(JSON.parse(json.stdout).data.checks[1].outcome).toBe('FAIL');
  });
});

describe('durations and the status line', () => {
  test('formatDuration: the seconds part is 0-59 for every millisecond count (no "1 min 60 s")', () => {
    for (let ms = 0; ms <= 2 * 3_600_000; ms += 997) {
      const text = formatDuration(ms);
      const s = /(\d+) s$/.exec(text);
      if (s) expect(Number(s[1])).toBeLessThan(60);
      expect(text).not.toMatch(/\b60 (s|min)\b/);
    }
    expect(formatDuration(119_600)).toBe('2 min');
    expect(formatDuration(61_000)).toBe('1 min 1 s');
    expect(formatDuration(59_001)).toBe('1 min');
    expect(formatDuration(5_400_000)).toBe('1 h 30 min');
  });

  test('parseDuration still reads 15m, 90s, 1h30m and refuses the rest', () => {
    expect(parseDuration('--wait', '1h30m')).toBe(5_400_000);
    expect(() => parseDuration('--wait', '15 minutes')).toThrow(/expected a duration like 15m/);
  });

  test('on a terminal a status line is rewritten in place, and ended before any other line; in a pipe each is a line', () => {
    const written: string[] = [];
    const term = { isTTY: true, columns: 40, write: (s: string) => written.push(s) };
    const io = streamsFor(term, term);
    io.status('verify: check 1: 1 missing: ds-eval-aws-web-1 (missing); again in 5 s, 1 min left');
    io.status('verify: check 2: all present');
    io.out('TABLE');
    expect(written).toEqual(['\r\x1b[2Kverify: check 1: 1 missing: ds-eval-aw…', '\r\x1b[2Kverify: check 2: all present', '\n', 'TABLE\n']);

    const piped: string[] = [];
    const pipeStream = { isTTY: false, write: (s: string) => piped.push(s) };
    const p = streamsFor(pipeStream, pipeStream);
    p.status('check 1');
    p.status('check 2');
    expect(piped).toEqual(['check 1\n', 'check 2\n']);
    expect(fitWidth('short', 40)).toBe('short');
  });

  test('the computers still waiting are named, the first three and a count', () => {
    const row = (n: number, findings: any[], agentStatus?: string) => ({ displayName: `ds-eval-aws-web-${n}`, findings, agentStatus }) as any;
    expect(stillWaiting([row(1, []), row(2, ['missing']), row(3, ['offline'], 'inactive'), row(4, ['wrong-policy']), row(5, ['missing'])])).toBe(
      'ds-eval-aws-web-2 (missing), ds-eval-aws-web-3 (agent inactive), ds-eval-aws-web-4 (wrong-policy) and 1 more',
    );
  });
});
