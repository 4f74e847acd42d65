/**
 * Any error raised inside the CDK and CDKTF apps is ONE line naming the key where known, exit 2:
 * no Node stack trace, no transpiled source line (issue 14 item 1). Run as child processes, the
 * way `cdk synth` and `dskit synth` run the apps.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { appErrorLine } from '../../bin/app-errors';
import { exampleRaw } from '../helpers/config';
import { REPO_ROOT, runDskit } from '../helpers/cli';

function run(entry: string, env: NodeJS.ProcessEnv, cwd: string) {
  const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, entry)], {
    cwd,
    env: { ...process.env, CDK_OUTDIR: path.join(cwd, 'cdk.out'), CDKTF_OUTDIR: path.join(cwd, 'cdktf.out'), DSKIT_DEBUG: '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What a crash dump has and one line must not. */
function expectOneCleanLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/use strict|var __|Node\.js v/);
  return lines[0];
}

describe('the one-line error of an app', () => {
  test('a key-prefixed message is prefixed with the config file, first line only', () => {
    expect(appErrorLine(new Error('aws.vms[0].os: no AMI\nmore'), 'lab.yaml')).toBe('lab.yaml: aws.vms[0].os: no AMI');
  });

  test('a key with an underscore (manager.installers.linux.x86_64) is a key too', () => {
    expect(appErrorLine(new Error('manager.installers.linux.x86_64: installers/a.tar: no such file'), 'lab.yaml')).toBe(
      'lab.yaml: manager.installers.linux.x86_64: installers/a.tar: no such file',
    );
  });

  test('a library error names the app, its construct and its code, and what to do', () => {
    const err = Object.assign(new Error("Mapping doesn't contain top-level key 'x'"), { name: 'MappingDoesnTContainTopLevel', constructPath: 'lab-aws/Ranges' });
    expect(appErrorLine(err, 'lab.yaml', 'AWS app')).toBe(
      "lab.yaml: the AWS app failed at lab-aws/Ranges (MappingDoesnTContainTopLevel): Mapping doesn't contain top-level key 'x'; " +
        'no config key is known for this error: if the config looks right, run again with DSKIT_DEBUG=1 and report the stack as a dskit bug',
    );
  });
});

describe('apps fail with one line and exit 2', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-app-errors-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['cdk', /^lab\.yaml: the AWS app failed at lab-aws\/Ranges \(MappingDoesnTContainTopLevel\): Mapping doesn't contain top-level key 'zz-east-1'; /],
    ['keyed', /^lab\.yaml: aws\.vms\[1\]\.os: "rhel-9" needs an account$/],
    ['string', /^lab\.yaml: the AWS app failed: plain string; /],
    ['async', /^lab\.yaml: gcp\.zone: refused later$/],
  ])('%s error', (kind, line) => {
    const r = run('test/fixtures/apps/throwing-app.ts', { THROW: kind, CONFIG_FILE: 'lab.yaml' }, dir);
    expect(r.code).toBe(2);
    expect(expectOneCleanLine(r.stderr)).toMatch(line);
  });

  test('DSKIT_DEBUG=1 adds the stack for a bug report', () => {
    const r = run('test/fixtures/apps/throwing-app.ts', { THROW: 'keyed', DSKIT_DEBUG: '1' }, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^\s+at /m);
  });

  test('both apps install the handler before anything else', () => {
    for (const entry of ['bin/aws.ts', 'bin/gcp.ts']) {
      const firstImport = fs.readFileSync(path.join(REPO_ROOT, entry), 'utf8').match(/^import .*$/m)?.[0];
      expect(firstImport).toBe("import './lean-start';");
    }
  });

  test('the AWS app: rhel-9 with no account (was a 5 KB stack trace) synthesizes, and its deploy is refused naming aws.vms[0].os', () => {
    const raw = exampleRaw();
    raw.aws.vms[0].os = 'rhel-9';
    const file = path.join(dir, 'rhel.yaml');
    fs.writeFileSync(file, stringify(raw));
    const r = run('bin/aws.ts', { DSKIT_CONFIG: file, CDK_OUTDIR: path.join(dir, 'rhel.out') }, dir);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const template = JSON.parse(fs.readFileSync(path.join(dir, 'rhel.out', `${raw.name}-aws.template.json`), 'utf8'));
    const refusals = JSON.stringify(template.Rules);
    expect(refusals).toMatch(/aws\.vms\[0\]\.os: the rhel-9 \(x86_64\) image is not pinned yet: .*needs the account/);
  });

  test('dskit synth --json: the one line of the app, naming the key, is the problem (a vision-one package that is not there)', () => {
    const raw = exampleRaw();
    raw.manager = { type: 'vision-one', region: 'us-1', installers: { linux: { x86_64: 'installers/missing.tar' } } };
    raw.aws.vms = raw.aws.vms.filter((vm: any) => !String(vm.os).startsWith('windows'));
    delete raw.gcp;
    const file = path.join(dir, 'v1.yaml');
    fs.writeFileSync(file, stringify(raw));
    const r = runDskit(['--json', '--config', file, 'synth', '--cloud', 'aws'], { cwd: dir });
    expect(r.code).toBe(2);
    const { problems } = JSON.parse(r.stdout);
    expect(problems).toEqual([expect.objectContaining({ severity: 'error', message: expect.stringMatching(/^aws synth failed \(exit 2\): .*manager\.installers\.linux\.x86_64: .*missing\.tar/) })]);
    expect(r.stderr).not.toMatch(/no config key is known|^\s+at /m);
  });
});
