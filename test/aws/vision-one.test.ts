/**
 * A vision-one sandbox on AWS: the Agent Installer packages reach the VMs as CDK assets only the
 * instance role may read, each VM's script pins its package's SHA-256, a changed package replaces
 * the VM together with its activation gate, the objects go with the stack, and no template or user
 * data holds a package or its registration data.
 */
import * as fs from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { gunzipSync } from 'node:zlib';
import { fileSha256 } from '../../lib/agent/installers';
import { AwsSandboxStack } from '../../stacks/aws-sandbox-stack';
import { REGISTRATION_TOKEN, standInInstallers, visionOneConfig, type StandInInstallers } from '../helpers/vision-one';
import { synthAws, type Synthesized } from './synth';

let pkgs: StandInInstallers;
beforeAll(() => (pkgs = standInInstallers()));
afterAll(() => fs.rmSync(pkgs.dir, { recursive: true, force: true }));

const config = () =>
  visionOneConfig(pkgs, (raw) => {
    raw.aws.vms = [
      { name: 'web', os: 'debian-12', arch: 'x86_64' },
      { name: 'arm', os: 'ubuntu-24.04', arch: 'arm64' },
      { name: 'win', os: 'windows-2022' },
    ];
  });

/** The user data of a VM: its text, the compressed body inflated (Linux). */
function userData(s: Synthesized, vm: string): string {
  const instance = Object.entries(s.json.Resources as Record<string, any>).find(([id, r]) => r.Type === 'AWS::EC2::Instance' && id.includes(`Vm${vm}1`))![1];
  const text = JSON.stringify(instance.Properties.UserData);
  const body = /DSKIT_BODY='([A-Za-z0-9+/=]+)'/.exec(text);
  const win = /\$DskitBody = '([A-Za-z0-9+/=]+)'/.exec(text);
  const packed = body?.[1] ?? win?.[1];
  return text + (packed ? gunzipSync(Buffer.from(packed, 'base64')).toString('utf8') : '');
}

describe('AWS vision-one stack', () => {
  let s: Synthesized;
  beforeAll(() => (s = synthAws(config())));

  test('the instance role reads exactly the three package objects, and no activation token secret', () => {
    const statements = JSON.stringify(s.template.findResources('AWS::IAM::Policy'));
    expect(statements).not.toContain('secretsmanager:GetSecretValue');
    for (const kind of ['linux-x86_64', 'linux-arm64', 'windows'] as const) {
      const key = s.stack.resolve(s.stack.installers!.locationOf(kind).object);
      s.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('InstanceRole') })]),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`/${key}$`)])] } }),
          ]),
        },
      });
    }
  });

  test('each VM\'s script names its own package and pins its SHA-256; the bucket is the deploy-time asset bucket', () => {
    const web = userData(s, 'web');
    expect(web).toContain(`INSTALLER_SHA256='${fileSha256(pkgs.linuxX86)}'`);
    expect(web).toContain(`INSTALLER_OBJECT='${s.stack.resolve(s.stack.installers!.locationOf('linux-x86_64').object)}'`);
    expect(web).toContain("EXPECTED_ARCH='x86_64'");
    // Outside the compressed body: the bucket's name is known only at deploy.
    expect(web).toMatch(/INSTALLER_BUCKET='",\{"Fn::Sub":"cdk-hnb659fds-assets-\$\{AWS::AccountId\}-ap-northeast-1"\}/);
    const arm = userData(s, 'arm');
    expect(arm).toContain(`INSTALLER_SHA256='${fileSha256(pkgs.linuxArm)}'`);
    expect(arm).toContain("EXPECTED_ARCH='aarch64'");
    const win = userData(s, 'win');
    expect(win).toContain(`$InstallerSha256 = '${fileSha256(pkgs.windows)}'`);
    // Windows PowerShell 5.1's Expand-Archive takes only a .zip; EC2Launch v2 runs persisted user data after the rename's restart.
    expect(win).toMatch(/\$InstallerObject = '[0-9a-f]{64}\.zip'/);
    expect(win).toContain('</powershell>\\n<persist>true</persist>\\n');
    // The Agent Installer path: no classic download, token or signing key in the scripts.
    expect(web).not.toMatch(/TOKEN_SECRET_NAME|SIGNING_KEY_ARMORED|dsa_control -a|software\/agent/);
  });

  test('no template or user data holds a package or its registration data', () => {
    const text = JSON.stringify(s.json);
    expect(text).not.toContain(REGISTRATION_TOKEN);
    expect(text).not.toContain(fs.readFileSync(pkgs.linuxX86).subarray(0, 512).toString('base64'));
    for (const vm of ['web', 'arm', 'win']) expect(userData(s, vm)).not.toContain(REGISTRATION_TOKEN);
  });

  test('a custom resource per package checks its upload at deploy and deletes its object with the stack', () => {
    const deleters = s.template.findResources('Custom::AWS');
    expect(Object.keys(deleters)).toHaveLength(3);
    for (const r of Object.values(deleters) as any[]) {
      const del = JSON.stringify(r.Properties.Delete);
      expect(del).toContain('deleteObject');
      expect(JSON.stringify(r.Properties.Create)).toContain('headObject');
    }
    // Deleting them is all its function may do, on exactly those objects.
    const policies = Object.values(s.template.findResources('AWS::IAM::Policy')).map((p: any) => JSON.stringify(p.Properties.PolicyDocument));
    const deleterPolicy = policies.find((p) => p.includes('s3:DeleteObject'))!;
    expect(deleterPolicy).not.toMatch(/"Resource":"\*"/);
  });

  test('the deploy is refused until dskit.context.json records the sandbox\'s event-based tasks (dskit policy ensure)', () => {
    expect(s.stack.deployBlockers).toContainEqual(expect.stringMatching(/manager\.type: vision-one, but .*dskit\.context\.json records no event-based task of sandbox ds-eval: .*run `npx dskit policy ensure`/));
    // The classic path's signing-key blocker does not apply: the packages' SHA-256 is pinned instead.
    expect(s.stack.deployBlockers.join('\n')).not.toMatch(/signing key/);
  });

  test('the VMs boot only once the role may read their package', () => {
    const instances = s.template.findResources('AWS::EC2::Instance');
    for (const i of Object.values(instances) as any[]) expect((i.DependsOn as string[]).some((d) => /Installers/.test(d))).toBe(true);
  });
});

describe('a changed package re-gates the deploy', () => {
  test('the VM, its wait handle and its wait condition are new; the other VMs are untouched', () => {
    const before = synthAws(config());
    const other = standInInstallers('another-manager.invalid:443');
    try {
      const after = synthAws(visionOneConfig(other, (raw) => {
        raw.manager.installers.linux.arm64 = pkgs.linuxArm;
        raw.manager.installers.windows = pkgs.windows;
        raw.aws.vms = config().aws!.vms.map(({ instanceType: _t, ...vm }) => vm);
      }));
      const ids = (x: Synthesized, type: string) => Object.keys(x.template.findResources(type)).sort();
      const changed = (type: string) => ids(after, type).filter((id) => !ids(before, type).includes(id));
      expect(changed('AWS::CloudFormation::WaitCondition')).toEqual([expect.stringContaining('Vmweb1')]);
      expect(changed('AWS::CloudFormation::WaitConditionHandle')).toEqual([expect.stringContaining('Vmweb1')]);
    } finally {
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
  });
});

test('cdk-nag AwsSolutions: no unacknowledged finding on a vision-one sandbox', () => {
  const app = new App();
  new AwsSandboxStack(app, 'nag', { config: config(), env: { region: 'ap-northeast-1' } });
  const report = new AwsSolutionsChecks(app).validateScope(app);
  const errors = report.violations.filter((v) => v.severity === 'error').flatMap((v) => v.violatingResources.map((r: any) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`));
  expect(errors).toEqual([]);
});
