import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXAMPLE_CONFIG } from '../../lib/config';
import { runDskit } from '../helpers/cli';

describe('dskit CLI basics', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--help lists the commands and exits 0', () => {
    const r = runDskit(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['synth', 'preflight', 'agent-script', 'policy', 'verify', 'teardown', 'rules', 'events']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    }
    expect(r.stdout).toMatch(/--config <file>/);
    expect(r.stdout).toMatch(/--json/);
    expect(r.stdout).toMatch(/--manager-url <url>/);
  });

  test('a bad flag exits 2 with a usage hint', () => {
    const r = runDskit(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });

  test('an unknown command exits 2', () => {
    expect(runDskit(['deploy-everything']).code).toBe(2);
  });

  test('a bad config exits 2 naming the file, key, value and what is allowed, before synthesizing', () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, fs.readFileSync(EXAMPLE_CONFIG, 'utf8').replace('os: windows-2022\n      instanceType', 'os: windows-2019\n      instanceType'));
    const out = path.join(dir, 'work');
    fs.mkdirSync(out);
    const r = runDskit(['--config', bad, 'synth'], { cwd: out });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: aws.vms[1].os: got "windows-2019"; allowed: amazon-linux-2023 |`);
    expect(fs.existsSync(path.join(out, 'cdk.out'))).toBe(false);
    expect(fs.existsSync(path.join(out, 'cdktf.out'))).toBe(false);
  });

  test('DSKIT_CONFIG pointing at a missing file exits 2', () => {
    const r = runDskit(['synth'], { env: { DSKIT_CONFIG: path.join(dir, 'missing.yaml') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.yaml: cannot read the config file \(from DSKIT_CONFIG\)/);
  });
});
