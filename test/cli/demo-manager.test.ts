/**
 * `dskit demo-manager` (and `npm run demo-manager`) end to end, as a newcomer without a tenant
 * uses it: start it, read the URL and key it prints, then run the manager-side commands against
 * it from another process the way its banner says, and stop it with a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DSKIT_BIN, REPO_ROOT } from '../helpers/cli';
import { runDskitAsync } from '../manager/harness';

interface Demo {
  readonly child: ChildProcess;
  readonly url: string;
  readonly key: string;
  stdout(): string;
  stderr(): string;
  /** A signal to its process group (a terminal's Ctrl-C is SIGINT to the group); resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `command args` in its own process group and waits until it printed the key. */
function startDemo(command: string, args: string[], cwd: string, json = false): Promise<Demo> {
  const child = spawn(command, args, { cwd, env: { ...process.env, DSKIT_CONFIG: '', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo-manager printed no key in 60 s:\n${out}\n${err}`)), 60_000);
    child.stderr!.on('data', (c) => (err += c));
    child.stdout!.on('data', (c) => {
      out += c;
      let url: string | undefined;
      let key: string | undefined;
      if (json) {
        try {
          const e = JSON.parse(out.slice(out.indexOf('{')));
          url = e.data.url;
          key = e.data.apiKey;
        } catch {
          return; // not the whole document yet
        }
      } else {
        url = /at (http:\/\/127\.0\.0\.1:\d+) — not a manager/.exec(out)?.[1];
        key = /export DS_API_KEY=(demo-[0-9a-f]{32})\n/.exec(out)?.[1];
      }
      if (!url || !key) return;
      clearTimeout(timer);
      resolve({
        child,
        url,
        key,
        stdout: () => out,
        stderr: () => err,
        stop: (signal = 'SIGTERM') => {
          process.kill(-child.pid!, signal);
          return exited;
        },
      });
    });
    child.on('error', reject);
  });
}

describe('dskit demo-manager', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-demo-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('npm run demo-manager: labelled a stand-in; verify, preflight, policy ensure, rules stage, teardown --manager-only work against it', async () => {
    const demo = await startDemo('npm', ['run', '--silent', 'demo-manager', '--', '--port', '0'], REPO_ROOT);
    try {
      expect(demo.stdout()).toMatch(/^dskit demo-manager: a STAND-IN for the Deep Security \/api v1 at http:\/\/127\.0\.0\.1:\d+ — not a manager$/m);
      expect(demo.stdout()).toMatch(/No agent can activate against it and nothing reaches Trend Micro/);
      expect(demo.stdout()).toMatch(/Seeded for sandbox ds-eval \(sandbox\.example\.yaml\): 4 computers online on their policies/);
      // No cloud credentials of this machine reach preflight's cloud checks (they fail at once, offline).
      const offline = { HOME: dir, AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true' };
      const dskit = (...args: string[]) => runDskitAsync(['--manager-url', demo.url, ...args], { cwd: dir, env: { ...offline, DS_API_KEY: demo.key } });

      // The commands its banner lists, in its order, each with the exit code a user gets.
      const verify = await dskit('verify');
      expect(verify.stdout).toMatch(/all 4 computers of ds-eval are present, their agents active and on their policies/);
      expect(verify.stdout).toMatch(/^ds-eval-aws-web-1 +\d+ +9 "Linux Server" +active +ok$/m);
      expect(verify.code).toBe(0);

      // preflight: the manager's checks pass; the bundled example's placeholders still FAIL (exit 1).
      const preflight = await dskit('preflight', '--cloud', 'aws');
      expect(preflight.stdout).toMatch(/^PASS {2}API key works: key "dskit-test" at http:\/\/127\.0\.0\.1:\d+\/api/m);
      expect(preflight.stdout).toMatch(/^PASS {2}policy exists: policy id 9 is "Linux Server"$/m);
      expect(preflight.stdout).toMatch(/^PASS {2}agent-initiated activation allowed/m);
      expect(preflight.stdout).toMatch(/^FAIL {2}no placeholder values: manager\.tenantId/m);
      expect(preflight.code).toBe(1);

      const ensure = await dskit('policy', 'ensure', '--parent', 'Linux Server');
      expect(ensure.stdout).toMatch(/^ds-eval-policy \(id \d+, parent "Linux Server" id 9\): created$/m);
      expect(ensure.stderr).toMatch(/dskit: warning: events\.syslogConfigId: is 0: the sandbox policy will forward no events/);
      expect(ensure.code).toBe(0);

      const dry = await dskit('rules', 'stage', '--released-since', '30d', '--dry-run');
      expect(dry.stdout).toMatch(/would stage 4 rule\(s\) on "ds-eval-policy"/);
      expect(dry.code).toBe(0);
      const stage = await dskit('rules', 'stage', '--released-since', '30d');
      expect(stage.stdout).toMatch(/^staged 4 rule\(s\) on "ds-eval-policy"/m);
      expect(stage.code).toBe(0);

      const teardown = await dskit('teardown', '--manager-only', '--yes');
      expect(teardown.stdout).toMatch(/deleted 4 computer\(s\); undid 5 of 5 manager change\(s\)/);
      expect(teardown.code).toBe(0);
      const after = await dskit('verify');
      expect(after.stdout).toMatch(/verify: 4 missing/);
      expect(after.code).toBe(1);

      // It logs each call it answers (never the key) on stderr.
      expect(demo.stderr()).toMatch(/^demo-manager: DELETE \/api\/policies\/\d+ → 204$/m);
      expect(demo.stdout() + demo.stderr()).not.toMatch(new RegExp(`${demo.key}.*${demo.key}`, 's')); // printed once, in the banner
    } finally {
      // Ctrl-C: npm passes on its own way of ending; the demo itself stops cleanly and says so.
      await demo.stop('SIGINT');
    }
    expect(demo.stderr()).toMatch(/demo-manager: stopped \(SIGINT\); its state is gone/);
  });

  test('--json prints the envelope at once (URL, key, stand-in), and the key works; a busy port is exit 1 saying so', async () => {
    const demo = await startDemo(process.execPath, [DSKIT_BIN, '--json', 'demo-manager', '--port', '0'], dir, true);
    try {
      const e = JSON.parse(demo.stdout());
      expect(e).toMatchObject({ ok: true, command: 'demo-manager', exitCode: 0, problems: [] });
      expect(e.data).toMatchObject({ standIn: true, apiKeyEnv: 'DS_API_KEY', keyHeader: 'api-secret-key', sandbox: 'ds-eval', seeded: { computers: 4, intrusionPreventionRules: 6 } });
      const wrongKey = await runDskitAsync(['--manager-url', demo.url, 'verify'], { cwd: dir, env: { DS_API_KEY: 'demo-not-the-key' } });
      expect(wrongKey.stderr).toMatch(/HTTP 401: Invalid API key/);

      const port = new URL(demo.url).port;
      const busy = await runDskitAsync(['demo-manager', '--port', port], { cwd: dir });
      expect(busy.stderr).toContain(`dskit: demo-manager: port ${port} on 127.0.0.1 is in use (another demo-manager?); pass --port N, or --port 0 for any free one`);
      expect(busy.code).toBe(1);
    } finally {
      expect(await demo.stop()).toBe(0);
    }
    expect(demo.stderr()).toMatch(/demo-manager: stopped \(SIGTERM\)/);
  });

  test('a bad --port is a usage error', async () => {
    const r = await runDskitAsync(['demo-manager', '--port', '70000'], { cwd: dir });
    expect(r.stderr).toContain('--port: got "70000"; allowed: 0-65535 (0: any free port)');
    expect(r.code).toBe(2);
  });
});
