import { parseConfig } from '../../lib/config';
import { configProblems, configWith } from '../helpers/config';

const problemsOf = configProblems;

describe('sandbox.yaml validation', () => {
  test('the bundled example is valid', () => {
    const cfg = configWith();
    expect(cfg.name).toBe('ds-eval');
    expect(cfg.aws?.vms.map((v) => v.name)).toEqual(['web', 'win']);
  });

  test('an unknown key is an error naming its path and the allowed keys', () => {
    const problems = problemsOf((r) => (r.aws.vms[0].instancetype = 't3.small'));
    expect(problems).toEqual([
      expect.stringMatching(/^sandbox\.yaml: aws\.vms\[0\]\.instancetype: unknown key \(value "t3\.small"\); allowed keys here: .*instanceType/),
    ]);
  });

  test('an unknown top-level key is an error', () => {
    expect(problemsOf((r) => (r.polcy = { id: 1 }))).toEqual([expect.stringMatching(/^sandbox\.yaml: polcy: unknown key/)]);
  });

  test('a typo of a key names the key meant; a key like none gets no guess', () => {
    expect(problemsOf((r) => (r.aws.vpcCdir = '10.60.0.0/16'))).toEqual([expect.stringMatching(/^sandbox\.yaml: aws\.vpcCdir: unknown key .*; did you mean "vpcCidr"\?$/)]);
    expect(problemsOf((r) => (r.aws.banana = 1))).toEqual([expect.not.stringMatching(/did you mean/)]);
  });

  test('a bad enum names the key path, the value and what is allowed', () => {
    const problems = problemsOf((r) => (r.aws.vms[1].os = 'windows-2019'));
    expect(problems).toEqual([
      'sandbox.yaml: aws.vms[1].os: got "windows-2019"; allowed: amazon-linux-2023 | ubuntu-22.04 | ubuntu-24.04 | rhel-9 | debian-12 | windows-2022',
    ]);
  });

  test('duplicate VM names per cloud are an error', () => {
    const problems = problemsOf((r) => (r.gcp.vms[1].name = 'web'));
    expect(problems).toEqual([expect.stringMatching(/^sandbox\.yaml: gcp\.vms\[1\]\.name: got "web"; duplicate VM name; gcp\.vms\[0\] already uses it/)]);
  });

  test('the same VM name on both clouds is fine', () => {
    expect(configWith((r) => (r.gcp.vms[0].name = 'web')).gcp?.vms[0].name).toBe('web');
  });

  test('arm64 with Windows is an error', () => {
    const problems = problemsOf((r) => Object.assign(r.aws.vms[1], { arch: 'arm64', instanceType: 't4g.large' }));
    expect(problems).toEqual([expect.stringMatching(/aws\.vms\[1\]\.arch: got "arm64"; arm64 is not available with windows-2022/)]);
  });

  test('arm64 needs a Graviton instance type, and x86_64 refuses one', () => {
    expect(problemsOf((r) => (r.aws.vms[0].arch = 'arm64'))).toEqual([
      expect.stringMatching(/aws\.vms\[0\]\.instanceType: got "t3\.medium"; arm64 needs a Graviton instance type/),
    ]);
    expect(problemsOf((r) => (r.aws.vms[0].instanceType = 'm7g.large'))).toEqual([
      expect.stringMatching(/aws\.vms\[0\]\.instanceType: got "m7g\.large"; is a Graviton/),
    ]);
  });

  test('honeypot mode without acknowledgeCloudTerms is an error', () => {
    const problems = problemsOf((r) => (r.exposure.mode = 'honeypot'));
    expect(problems).toEqual([expect.stringMatching(/exposure\.acknowledgeCloudTerms: got false; honeypot mode exposes VMs/)]);
    expect(configWith((r) => Object.assign(r.exposure, { mode: 'honeypot', acknowledgeCloudTerms: true })).exposure.mode).toBe('honeypot');
  });

  test.each([['X'], ['a'], ['1abc'], ['ds_eval'], ['a-very-long-sandbox-name-x']])('sandbox name %p is refused', (name) => {
    expect(problemsOf((r) => (r.name = name))).toEqual([expect.stringMatching(new RegExp(`^sandbox\\.yaml: name: got "${name}"; must be 2-20 characters`))]);
  });

  test('policy needs exactly one of id or name', () => {
    expect(problemsOf((r) => (r.policy = { id: 9, name: 'Linux Server' }))).toEqual([
      expect.stringMatching(/^sandbox\.yaml: policy: got .*; give exactly one of `id` or `name`/),
    ]);
    expect(problemsOf((r) => (r.policy = { groupId: 1 }))).toEqual([expect.stringMatching(/policy: .*exactly one of/)]);
    expect(problemsOf((r) => (r.aws.vms[0].policy = {}))).toEqual([expect.stringMatching(/aws\.vms\[0\]\.policy: .*exactly one of/)]);
  });

  test('a negative count is an error', () => {
    expect(problemsOf((r) => (r.aws.vms[0].count = -1))).toEqual(['sandbox.yaml: aws.vms[0].count: got -1; must be >= 0']);
  });

  test('a missing required key says so', () => {
    expect(problemsOf((r) => delete r.manager.activationTokenSecret)).toEqual([
      'sandbox.yaml: manager.activationTokenSecret: missing; required (string)',
    ]);
  });

  test('a dsm manager needs url and activationUrl, and workload-security keys differ', () => {
    const problems = problemsOf((r) => (r.manager = { type: 'dsm', activationTokenSecret: 'x', url: 'http://dsm:4119' }));
    expect(problems).toEqual([
      'sandbox.yaml: manager.url: got "http://dsm:4119"; must be https://host[:port] with no path',
      'sandbox.yaml: manager.activationUrl: missing; required (string)',
    ]);
    expect(problemsOf((r) => (r.manager.type = 'on-prem'))).toEqual([
      'sandbox.yaml: manager.type: got "on-prem"; allowed: workload-security | dsm | vision-one',
    ]);
  });

  test('a secret name that one of the clouds would refuse is an error', () => {
    expect(problemsOf((r) => (r.manager.activationTokenSecret = 'ds/eval token'))).toEqual([
      expect.stringMatching(/manager\.activationTokenSecret: got "ds\/eval token"; must be 1-255 letters, digits, - or _/),
    ]);
  });

  test('every problem is reported, one line each', () => {
    const problems = problemsOf((r) => {
      r.aws.vms[0].os = 'dos';
      r.gcp.vms[0].count = -2;
      r.events.syslogPort = 70000;
    });
    expect(problems).toHaveLength(3);
  });

  test('cross-key problems are reported in the same run as a field error', () => {
    const problems = problemsOf((r) => {
      r.aws.vms[0].os = 'dos'; // a field error: zod then skips its own cross-key refinement
      r.gcp.vms[1].name = 'web';
      r.exposure.mode = 'honeypot';
      r.aws.vms[1].arch = 'arm64';
    });
    expect(problems).toEqual([
      expect.stringMatching(/aws\.vms\[0\]\.os: got "dos"/),
      expect.stringMatching(/exposure\.acknowledgeCloudTerms: got false; honeypot mode/),
      expect.stringMatching(/aws\.vms\[1\]\.arch: got "arm64"; arm64 is not available with windows-2022/),
      expect.stringMatching(/aws\.vms\[1\]\.instanceType: got "t3\.large"; arm64 needs a Graviton/),
      expect.stringMatching(/gcp\.vms\[1\]\.name: got "web"; duplicate VM name/),
    ]);
  });

  test('YAML syntax errors name the line', () => {
    expect(() => parseConfig('name: [unclosed\n', 'x.yaml')).toThrow(/^x\.yaml:\d+:\d+: YAML syntax error/);
  });

  test('a config with no cloud section is an error', () => {
    expect(
      problemsOf((r) => {
        delete r.aws;
        delete r.gcp;
      }),
    ).toEqual([expect.stringMatching(/configure at least one cloud/)]);
  });
});

describe('defaults', () => {
  const minimal = `
name: lab
owner: me@example.com
manager: { type: workload-security, region: de-1, tenantId: 00000000-0000-0000-0000-000000000000, activationTokenSecret: tok }
policy: { id: 3 }
aws: { region: eu-central-1, vms: [{ name: a, os: ubuntu-24.04 }, { name: b, os: debian-12, arch: arm64 }] }
gcp: { project: lab-project, region: europe-west3, zone: europe-west3-b, vms: [{ name: a, os: rhel-9 }] }
`;
  let cfg: ReturnType<typeof parseConfig>;
  beforeAll(() => {
    cfg = parseConfig(minimal, 'minimal.yaml');
  });

  test('top-level defaults', () => {
    expect(cfg.expiresAfterHours).toBe(24);
    expect(cfg.events).toEqual({ retentionDays: 30, syslogPort: 514, syslogConfigId: 0 });
    expect(cfg.exposure).toEqual({ mode: 'private', adminCidrs: [], honeypotPorts: [22, 1433, 3389], acknowledgeCloudTerms: false });
    expect(cfg.policy).toEqual({ id: 3, groupId: 0, relayGroupId: 0 });
    expect(cfg.manager).toMatchObject({ apiKeyEnv: 'DS_API_KEY', proxy: '', verifyPackageSignature: true, tenantNumericId: 0 });
  });

  test('VM defaults, with the instance type following the architecture', () => {
    expect(cfg.aws?.vms).toEqual([
      { name: 'a', os: 'ubuntu-24.04', arch: 'x86_64', instanceType: 't3.medium', count: 1 },
      { name: 'b', os: 'debian-12', arch: 'arm64', instanceType: 't4g.medium', count: 1 },
    ]);
    expect(cfg.aws?.vpcCidr).toBe('10.60.0.0/16');
    expect(cfg.aws?.activationTimeoutMinutes).toBe(20);
    expect(cfg.gcp?.vms).toEqual([{ name: 'a', os: 'rhel-9', machineType: 'e2-medium', count: 1 }]);
  });
});
