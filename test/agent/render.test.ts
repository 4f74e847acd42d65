/** Rendering: every variant fits EC2 user data, passes shellcheck, and embeds values safely. */
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { AWS_USER_DATA_LIMIT, findVm, renderBootScript, type CloudScriptParams } from '../../lib/agent';
import { AWS_OS, GCP_OS, type SandboxConfig } from '../../lib/config';
import { scriptSettings } from '../../lib/agent/settings';
import { dedentShell, stripShellComments } from '../../lib/agent/shell';
import { AGENTS_DIR } from '../../lib/agent/sources';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configWith } from '../helpers/config';
import { runDskit } from '../helpers/cli';
import { standInInstallers, visionOneConfig } from '../helpers/vision-one';

// The size of a 4096-bit RSA public key with a signature and user id, armored.
const BIG_KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${'QUJD'.repeat(760).replace(/.{64}/g, '$&\n')}\n=AbCd\n-----END PGP PUBLIC KEY BLOCK-----\n`;

const awsParams = (over: Partial<CloudScriptParams> = {}): CloudScriptParams => ({
  cloud: 'aws',
  region: 'ap-northeast-1',
  waitHandleUrl: 'https://cloudformation-waitcondition-ap-northeast-1.s3.amazonaws.com/arn%3Aaws%3Acloudformation%3Aap-northeast-1%3A000000000000%3Astack/ds-eval/00000000-0000-0000-0000-000000000000/WebHandle1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=86399&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fap-northeast-1%2Fs3%2Faws4_request&X-Amz-Signature=' + 'f'.repeat(64),
  logGroupName: '/dskit/ds-eval/ds-events',
  signingKey: BIG_KEY,
  ...over,
} as CloudScriptParams);
const gcpParams = (over: Partial<CloudScriptParams> = {}): CloudScriptParams =>
  ({ cloud: 'gcp', project: 'my-project', logName: 'ds-events', signingKey: BIG_KEY, ...over }) as CloudScriptParams;

/** Every OS and arch of both clouds, with every optional argument set, so the largest variant is in. */
const everything = configWith((raw) => {
  raw.manager.proxy = 'http://proxy.internal:3128';
  raw.policy = { id: 9, groupId: 12, relayGroupId: 3 };
  raw.aws.vms = [
    ...AWS_OS.filter((os) => os !== 'windows-2022').flatMap((os, i) => [
      { name: `l${i}x`, os, arch: 'x86_64' },
      { name: `l${i}a`, os, arch: 'arm64' },
    ]),
    { name: 'win', os: 'windows-2022' },
  ];
  raw.gcp.vms = GCP_OS.map((os, i) => ({ name: `g${i}`, os }));
});

const variants = (config: SandboxConfig) => [
  ...config.aws!.vms.map((vm) => ({ cloud: 'aws', config, vm, boot: renderBootScript(config, vm, 1, awsParams()) })),
  ...config.gcp!.vms.map((vm) => ({ cloud: 'gcp', config, vm, boot: renderBootScript(config, vm, 1, gcpParams()) })),
];

describe('every rendered variant', () => {
  const all = variants(everything);

  test.each(all.filter((v) => v.cloud === 'aws').map((v) => [v.vm.name, v.vm.os, v.boot] as const))(
    'AWS %s (%s) fits in EC2 user data',
    (_name, _os, boot) => {
      expect(Buffer.byteLength(boot.script)).toBeLessThan(AWS_USER_DATA_LIMIT);
    },
  );

  test('AWS Windows is wrapped in <powershell> for EC2Launch; GCP Windows is bare', () => {
    const aws = all.find((v) => v.cloud === 'aws' && v.boot.platform === 'windows')!.boot.script;
    const gcp = all.find((v) => v.cloud === 'gcp' && v.boot.platform === 'windows')!.boot.script;
    expect(aws.startsWith('<powershell>\n') && aws.endsWith('</powershell>\n')).toBe(true);
    expect(gcp).not.toContain('<powershell>');
  });

  test('the AWS Linux compressed body is exactly the readable script\'s body', () => {
    const boot = all.find((v) => v.cloud === 'aws' && v.boot.platform === 'linux')!.boot;
    const packed = /DSKIT_BODY='([A-Za-z0-9+/=]+)'/.exec(boot.script)![1];
    const body = gunzipSync(Buffer.from(packed, 'base64')).toString('utf8');
    expect(boot.readable.endsWith(body)).toBe(true);
    expect(body).toContain("DISPLAY_NAME='ds-eval-aws-l0x-1'");
  });

  test('the AWS Windows compressed body is exactly the readable script\'s body', () => {
    const boot = all.find((v) => v.cloud === 'aws' && v.boot.platform === 'windows')!.boot;
    const packed = /\$DskitBody = '([A-Za-z0-9+/=]+)'/.exec(boot.script)![1];
    const body = gunzipSync(Buffer.from(packed, 'base64')).toString('utf8');
    expect(boot.readable.endsWith(`${body}</powershell>\n`)).toBe(true);
    expect(body).toContain("$DisplayName = 'ds-eval-aws-win-1'");
    expect(boot.script).not.toContain('$DisplayName');
  });
});

describe('shellcheck', () => {
  const haveShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
  if (!haveShellcheck && process.env.CI !== 'true') console.warn('\n*** SKIPPING shellcheck of the boot scripts: shellcheck is not installed (apt-get install -y shellcheck) ***\n');
  const minimal = configWith((raw) => {
    raw.manager = { type: 'dsm', url: 'https://dsm.example.com:4119', activationUrl: 'dsm://dsm.example.com:4120/', activationTokenSecret: 's', verifyPackageSignature: false };
  });
  // The Agent Installer path, every OS and arch of both clouds, a proxy set.
  const pkgs = standInInstallers();
  afterAll(() => fs.rmSync(pkgs.dir, { recursive: true, force: true }));
  const visionOne = visionOneConfig(pkgs, (raw) => {
    raw.manager.proxy = 'http://proxy.internal:3128';
    raw.aws.vms = everything.aws!.vms.map(({ instanceType: _t, policy: _p, ...vm }) => vm);
    raw.gcp.vms = everything.gcp!.vms.map(({ policy: _p, ...vm }) => vm);
  });
  // Every distinct set of pieces a Linux script is made of (cloud, install path, package family, SSM
  // agent), with every optional setting and with none.
  const seen = new Set<string>();
  const linux = [...variants(everything), ...variants(minimal), ...variants(visionOne)].filter((v) => {
    if (v.boot.platform !== 'linux') return false;
    const key = `${v.cloud} ${JSON.stringify(scriptSettings(v.config, v.cloud as 'aws' | 'gcp', v.vm, 1, {}).pieces)} ${v.config === minimal} ${v.config === visionOne}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const cases = linux.flatMap((v) => [
    [`${v.cloud} ${v.boot.displayName} (as run)`, v.boot.script],
    [`${v.cloud} ${v.boot.displayName} (readable)`, v.boot.readable],
  ]);

  (haveShellcheck || process.env.CI === 'true' ? test.each(cases) : test.skip.each(cases))('%s is clean', (_name, script) => {
    const r = spawnSync('shellcheck', ['--shell=bash', '--severity=info', '-'], { input: script, encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the AWS body drops indentation (dedentShell) without changing what bash runs', () => {
  const files = fs
    .readdirSync(path.join(AGENTS_DIR, 'linux'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sh'))
    .map((f) => path.join(AGENTS_DIR, 'linux', f));

  test.each(files.map((f) => [path.relative(AGENTS_DIR, f), f]))('%s: bash lists the same functions before and after', (_name, file) => {
    // bash's `declare -f` prints every function in its canonical form: a changed string literal
    // (an indented line inside quotes) or a changed here-document would show.
    const listing = (source: string) => {
      const r = spawnSync('bash', ['-c', 'eval "$(cat)"; declare -f'], { input: source, encoding: 'utf8' });
      expect(r.status).toBe(0);
      return r.stdout;
    };
    const source = stripShellComments(fs.readFileSync(file, 'utf8'));
    const before = listing(source);
    expect(before).toMatch(/\(\) *\n\{/);
    expect(listing(dedentShell(source))).toBe(before);
  });

  test('here-documents keep their indentation (the GCP Ops Agent YAML needs it)', () => {
    const s = 'f() {\n  cat >x <<CONF\nlogging:\n  receivers: {}\nCONF\n  echo done\n}\n';
    expect(dedentShell(s)).toBe('f() {\ncat >x <<CONF\nlogging:\n  receivers: {}\nCONF\necho done\n}\n');
  });
});

describe('values are embedded safely', () => {
  test('a deploy-time value with quotes and $(...) reaches the script verbatim, unexpanded', () => {
    const nasty = `https://h/x?a='b'&c=$(touch /tmp/dskit-pwned)\`id\`"q"`;
    const config = configWith();
    const boot = renderBootScript(config, findVm(config, 'gcp', 'web'), 1, gcpParams({ project: nasty } as any));
    const assignment = boot.script.split('\n').find((l) => l.startsWith('GCP_PROJECT='))!;
    const r = spawnSync('bash', ['-c', `${assignment}\nprintf '%s' "$GCP_PROJECT"`], { encoding: 'utf8' });
    expect(r.stdout).toBe(nasty);
  });

  test('a CDK token string is kept as is (CloudFormation resolves it inside the user data)', () => {
    const config = configWith();
    const boot = renderBootScript(config, findVm(config, 'aws', 'web'), 1, awsParams({ waitHandleUrl: '${Token[TOKEN.123]}' } as any));
    expect(boot.script).toContain("WAIT_HANDLE_URL='${Token[TOKEN.123]}'");
  });
});

describe('what a boot script says', () => {
  const config = configWith((raw) => {
    raw.policy = { id: 9, groupId: 12, relayGroupId: 0 };
  });

  test('Linux: the VM\'s display name, the effective policy and the manager endpoints; no token', () => {
    const boot = renderBootScript(config, findVm(config, 'gcp', 'web'), 1, gcpParams());
    expect(boot.displayName).toBe('ds-eval-gcp-web-1');
    for (const line of [
      "DISPLAY_NAME='ds-eval-gcp-web-1'",
      "POLICY_ID='9'",
      "GROUP_ID='12'",
      "RELAY_GROUP_ID='0'",
      "MANAGER_URL='https://workload.us-1.cloudone.trendmicro.com'",
      "ACTIVATION_URL='dsm://agents.workload.us-1.cloudone.trendmicro.com:443/'",
      "TOKEN_SECRET_NAME='ds-eval-activation-token'",
    ]) {
      expect(boot.script.split('\n')).toContain(line);
    }
  });

  test('the VM\'s own policy override wins', () => {
    const cfg = configWith((raw) => {
      raw.gcp.vms[0].policy = { id: 77 };
    });
    expect(renderBootScript(cfg, findVm(cfg, 'gcp', 'web'), 1, gcpParams()).script.split('\n')).toContain("POLICY_ID='77'");
  });

  test.each(['aws', 'gcp'] as const)('Windows on %s: activation arguments, token kept out of logs, outcome report', (cloud) => {
    const boot = renderBootScript(config, findVm(config, cloud, 'win'), 1, cloud === 'aws' ? awsParams() : gcpParams());
    const s = boot.readable;
    expect(s).toContain(`$DisplayName = 'ds-eval-${cloud}-win-1'`);
    expect(s).toContain('$PolicyId = 9');
    expect(s).toContain('$GroupId = 12');
    expect(s).toMatch(/\$arguments = @\('-a', \$ActivationUrl\)/);
    expect(s).toContain('"token:$($script:Token)", "policyid:$PolicyId"');
    expect(s).toContain('"displayname:$DisplayName"');
    expect(s).toContain("'Agent-Version-Control' = 'on'");
    expect(s).toContain('"tenantID=$TenantNumericId"');
    expect(s).toContain('Get-AuthenticodeSignature');
    // The token is never handed to the log: no log line interpolates it, dsa_control output is redacted.
    for (const line of s.split('\n').filter((l) => l.includes('Write-DskitLog'))) expect(line).not.toMatch(/\$script:Token|\$Token\b/);
    expect(s).toContain('Protect-Text $out.Trim()');
    expect(s).toMatch(cloud === 'aws' ? /Invoke-RestMethod -Method Put -Uri \$WaitHandleUrl/ : /guest-attributes\/dskit\/status/);
    expect(s.trimEnd().split('\n').filter((l) => l !== '</powershell>').pop()).toBe('Invoke-DskitMain');
  });

  test('a missing signing key with verification on is a warning, not a synth failure', () => {
    const boot = renderBootScript(config, findVm(config, 'gcp', 'web'), 1, { cloud: 'gcp', project: 'my-project', logName: 'ds-events' });
    expect(boot.warnings.join('\n')).toMatch(/verifyPackageSignature is on but .*ds-agent-signing-key\.asc does not exist/);
  });

  test('a signing key that is not an armored public key fails at render with its source', () => {
    expect(() => renderBootScript(config, findVm(config, 'gcp', 'web'), 1, gcpParams({ signingKey: 'not a key' } as any))).toThrow(/signingKey: not an ASCII-armored OpenPGP public key/);
  });

  test('an index beyond the VM\'s count is refused', () => {
    expect(() => renderBootScript(config, findVm(config, 'gcp', 'web'), 2, gcpParams())).toThrow(/index must be 1\.\.1/);
  });
});

describe('dskit agent-script', () => {
  test('prints the GCP startup script of a VM', () => {
    const r = runDskit(['agent-script', '--cloud', 'gcp', '--vm', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('#!/bin/bash\n')).toBe(true);
    expect(r.stdout).toContain("DISPLAY_NAME='ds-eval-gcp-web-1'");
  });

  test('AWS: a marked placeholder for the wait handle URL, readable on request', () => {
    const r = runDskit(['agent-script', '--cloud', 'aws', '--vm', 'web', '--readable']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("WAIT_HANDLE_URL='https://WAIT-HANDLE-URL-IS-SET-AT-DEPLOY-TIME.invalid/'");
    expect(r.stdout).toContain("DISPLAY_NAME='ds-eval-aws-web-1'");
    expect(r.stderr).toMatch(/placeholder/);
  });

  test('an unknown VM is a usage error listing the VM names', () => {
    const r = runDskit(['agent-script', '--cloud', 'aws', '--vm', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no VM named "nope" under aws.vms; the VMs there are: web, win');
  });
});
