/** How the stack follows the config: counts, OS images, arm64, TTL, timeouts, retention, placeholders. */
import { App, Stack } from 'aws-cdk-lib';
import { AwsSandboxStack } from '../../stacks/aws-sandbox-stack';
import { logRetentionFor } from '../../lib/aws/names';
import { checkUserDataSize } from '../../lib/aws/sandbox-vm';
import { configWith } from '../helpers/config';
import { fakeAmi, realManager, resourcesOf, synthAws, synthPinned, type Synthesized } from './synth';

const displayNamesOf = (json: any) =>
  resourcesOf(json, 'AWS::EC2::Instance')
    .map(([, i]) => i.Properties.Tags.find((t: any) => t.Key === 'dskit-display-name').Value)
    .sort();

describe('several OSes, counts and a real manager, no expiry', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthPinned(
      configWith((r) => {
        realManager(r);
        r.expiresAfterHours = 0;
        r.events.retentionDays = 45;
        r.aws.activationTimeoutMinutes = 45;
        r.aws.vms = [
          { name: 'web', os: 'ubuntu-22.04', count: 3 },
          { name: 'api', os: 'ubuntu-24.04', arch: 'arm64', instanceType: 't4g.small', count: 1 },
          { name: 'db', os: 'debian-12', count: 1 },
          { name: 'al', os: 'amazon-linux-2023', arch: 'arm64', instanceType: 'm7g.large', count: 1 },
          { name: 'off', os: 'windows-2022', count: 0 },
        ];
      }),
    );
  });

  test('one instance and one wait condition per counted VM, named <sandbox>-aws-<vm>-<n>', () => {
    expect(displayNamesOf(s.json)).toEqual(['ds-eval-aws-al-1', 'ds-eval-aws-api-1', 'ds-eval-aws-db-1', 'ds-eval-aws-web-1', 'ds-eval-aws-web-2', 'ds-eval-aws-web-3']);
    s.template.resourceCountIs('AWS::CloudFormation::WaitCondition', 6);
    for (const [, w] of resourcesOf(s.json, 'AWS::CloudFormation::WaitCondition')) expect(w.Properties.Timeout).toBe('2700');
  });

  test('a VM entry with count 0 makes nothing, not even its security group', () => {
    expect(resourcesOf(s.json, 'AWS::EC2::SecurityGroup').map(([, g]) => g.Properties.GroupDescription)).toEqual([expect.stringContaining('linux')]);
  });

  test('images: the publishers\' public SSM parameters per architecture, as pinned in cdk.context.json', () => {
    const lookups = [...new Set(s.stack.vms.map((vm) => /parameterName=([^:]+)/.exec(vm.image.contextKey!)![1]))].sort();
    expect(lookups).toEqual([
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
      '/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id',
      '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id',
      '/aws/service/debian/release/12/latest/amd64',
    ]);
    const images = Object.fromEntries(resourcesOf(s.json, 'AWS::EC2::Instance').map(([, i]) => [i.Properties.Tags.find((t: any) => t.Key === 'dskit-vm').Value, i.Properties.ImageId]));
    expect(images).toEqual({ web: fakeAmi('ubuntu-22.04', 'x86_64'), api: fakeAmi('ubuntu-24.04', 'arm64'), db: fakeAmi('debian-12', 'x86_64'), al: fakeAmi('amazon-linux-2023', 'arm64') });
  });

  test('instances spread over both zones\' subnets', () => {
    const subnets = resourcesOf(s.json, 'AWS::EC2::Instance').map(([, i]) => JSON.stringify(i.Properties.NetworkInterfaces[0].SubnetId));
    expect(new Set(subnets).size).toBe(2);
  });

  test('default instance types follow the architecture', () => {
    const types = Object.fromEntries(
      resourcesOf(s.json, 'AWS::EC2::Instance').map(([, i]) => [i.Properties.Tags.find((t: any) => t.Key === 'dskit-vm').Value, i.Properties.InstanceType]),
    );
    expect(types).toEqual({ web: 't3.medium', api: 't4g.small', db: 't3.medium', al: 'm7g.large' });
  });

  test('expiresAfterHours 0: a shutdown stops the VM rather than terminating it', () => {
    for (const [, i] of resourcesOf(s.json, 'AWS::EC2::Instance')) expect(i.Properties.InstanceInitiatedShutdownBehavior).toBe('stop');
  });

  test('retention that CloudWatch Logs cannot express is rounded up; S3 keeps the exact days', () => {
    s.template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/dskit/ds-eval/ds-events', RetentionInDays: 60 });
    for (const [, b] of resourcesOf(s.json, 'AWS::S3::Bucket')) expect(b.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(45);
  });

  test('real manager values: no deploy-time refusal', () => {
    expect(Object.keys(s.json.Rules ?? {}).filter((id) => id !== 'CheckBootstrapVersion')).toEqual([]);
    expect(Object.values<any>(s.json.Parameters).filter((p) => p.AllowedValues)).toEqual([]);
  });
});

describe('RHEL 9 has no public image parameter', () => {
  const rhel = () =>
    configWith((r) => {
      r.aws.vms = [{ name: 'red', os: 'rhel-9', count: 1 }];
    });

  test('without an account it synthesizes, and the deploy is refused naming the key and how to pin the image', () => {
    const s = synthAws(rhel());
    expect(s.stack.deployBlockers).toContainEqual(
      expect.stringMatching(/^test\.yaml: aws\.vms\[0\]\.os: the rhel-9 \(x86_64\) image is not pinned yet: it is looked up \(the newest Red Hat .*RHEL-9 pay-as-you-go x86_64 AMI\).*npx cdk synth/),
    );
  });

  test('with an account the AMI is a context lookup of Red Hat\'s pay-as-you-go images', () => {
    // Until the lookup is cached the template holds CDK's placeholder AMI (ami-1234): validating it
    // would only report that placeholder (on stderr). test/aws/cfn-validate.test.ts validates real templates.
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new AwsSandboxStack(app, 'r', { config: rhel(), env: { region: 'ap-northeast-1', account: '123456789012' } });
    const missing = app.synth().getStackArtifact(stack.artifactId).assembly.manifest.missing ?? [];
    expect(missing.map((m) => m.provider)).toContain('ami');
    const ami = missing.find((m) => m.provider === 'ami')!.props as any;
    expect(ami.owners).toEqual(['309956199498']);
    expect(ami.filters.name[0]).toMatch(/^RHEL-9\..*x86_64.*Hourly2/);
    expect(ami.additionalCacheKey).toBe('dskit-sandbox-ds-eval');
    expect(Stack.of(stack).account).toBe('123456789012');
  });
});

describe('checkUserDataSize', () => {
  test('a script that leaves no room for the handle URL under 16 KB is refused, naming the VM', () => {
    expect(() => checkUserDataSize('#!/bin/bash\n' + 'x'.repeat(15 * 1024), 'lab-aws-web-1')).toThrow(/lab-aws-web-1: .* EC2 allows 16384/);
    expect(() => checkUserDataSize('#!/bin/bash\n' + 'x'.repeat(14 * 1024), 'lab-aws-web-1')).not.toThrow();
  });
});

describe('logRetentionFor', () => {
  test.each([
    [1, 1],
    [30, 30],
    [31, 60],
    [366, 400],
    [3650, 3653],
  ])('%i days -> %i', (days, expected) => expect(logRetentionFor(days)).toBe(expected));
});

describe('real manager values but no agent signing key', () => {
  test('the deploy is refused for the missing key alone, with what to do', () => {
    const s = synthAws(
      configWith((r) => {
        realManager(r);
        r.manager.verifyPackageSignature = true;
      }),
    );
    const rules = Object.entries<any>(s.json.Rules).filter(([id]) => id !== 'CheckBootstrapVersion');
    expect(rules).toHaveLength(1);
    const description: string = rules[0][1].Assertions[0].AssertDescription;
    expect(description).toMatch(/^dskit refuses to deploy: test\.yaml: manager\.verifyPackageSignature: true, but there is no agent signing key/);
    expect(description).not.toContain('placeholder;');
  });
});
