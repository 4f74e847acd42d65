/**
 * `verify --wait` on a real terminal: run under `script` (util-linux, in every Debian), which gives
 * the CLI a pseudo-terminal. The progress is one line rewritten in place (carriage return, erase
 * line), naming the computer still waiting; in a pipe the same progress is a line per check
 * (test/manager/cli-e2e.test.ts).
 */
import { spawn } from 'node:child_process';
import { DSKIT_BIN } from '../helpers/cli';
import { API_KEY, sandboxRaw, startLab, type Lab } from '../manager/harness';

const EXPECTED = ['ds-eval-aws-web-1', 'ds-eval-aws-web-2', 'ds-eval-aws-win-1', 'ds-eval-gcp-web-1'];

function underTerminal(lab: Lab, args: string[]): Promise<{ code: number; text: string }> {
  const command = [process.execPath, DSKIT_BIN, '--config', lab.configFile, '--manager-url', lab.url, ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) => {
    // No colour settings of the caller's (an empty FORCE_COLOR still counts as set for Node).
    const env: NodeJS.ProcessEnv = { ...process.env, DS_API_KEY: API_KEY, DSKIT_CONFIG: '', NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: lab.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, text }));
  });
}

describe('verify --wait on a terminal', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab();
    const policyId = lab.fake.addPolicy({ name: 'Linux Server' });
    lab.writeConfig(sandboxRaw(policyId));
    for (const n of EXPECTED) lab.fake.addComputer({ displayName: n, policyID: policyId });
  });
  afterAll(() => lab.close());

  test('one status line, rewritten each check, naming the computer still waiting; then the table', async () => {
    const late = [...lab.fake.computers.values()].find((c) => c.displayName === 'ds-eval-gcp-web-1')!;
    late.computerStatus = { agentStatus: 'inactive' };
    // Active only once the third check searches, whatever the machine's speed: each check pages
    // through the aws and the gcp prefix (two searches each, the second page empty).
    const before = lab.fake.calls('POST', '/computers/search').length;
    const timer = setInterval(() => {
      if (lab.fake.calls('POST', '/computers/search').length - before >= 9) late.computerStatus = { agentStatus: 'active' };
    }, 20);
    const r = await underTerminal(lab, ['verify', '--wait', '30s']);
    clearInterval(timer);
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/\r\x1b\[2Kverify: check 1: 1 not active: ds-eval-gcp-web-1 \(agent inactive\); again in \d+ s, \d+ s left\r\x1b\[2Kverify: check 2: /);
    // No check's line ends in a line break: each is erased by the next, the last by the table's first line.
    expect(r.text).not.toMatch(/verify: check \d+:[^\r\n]*\r?\n[^\n]*verify: check/);
    expect(r.text).toMatch(/all 4 computers of ds-eval are present/);
  });
});
