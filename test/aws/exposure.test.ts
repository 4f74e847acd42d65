/** Who may reach the VMs: private (admin CIDRs on the admin port only) and honeypot (ports open to all). */
import { App } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ExposureSecurityGroups } from '../../lib/aws/exposure';
import { configWith } from '../helpers/config';
import { resourcesOf, synthAws, type Synthesized } from './synth';

/** Every ingress rule of the template as `cidr tcp/port` on the group's platform (from its description). */
function ingressByPlatform(json: any): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [, sg] of resourcesOf(json, 'AWS::EC2::SecurityGroup')) {
    const platform = /\b(linux|windows)\b/.exec(sg.Properties.GroupDescription)?.[1] ?? 'other';
    out[platform] = (sg.Properties.SecurityGroupIngress ?? []).map((r: any) => `${r.CidrIp} ${r.IpProtocol}/${r.FromPort}-${r.ToPort}`).sort();
  }
  for (const [, rule] of resourcesOf(json, 'AWS::EC2::SecurityGroupIngress')) out.standalone = [...(out.standalone ?? []), JSON.stringify(rule)];
  return out;
}

describe('private exposure with no admin CIDRs (the example)', () => {
  let s: Synthesized;
  beforeAll(() => (s = synthAws(configWith())));

  test('no ingress at all; admins use Session Manager', () => {
    expect(ingressByPlatform(s.json)).toEqual({ linux: [], windows: [] });
  });
});

describe('private exposure with admin CIDRs', () => {
  let s: Synthesized;
  beforeAll(() => (s = synthAws(configWith((r) => (r.exposure.adminCidrs = ['203.0.113.0/24', '198.51.100.7/32'])))));

  test('only the admin CIDRs, on SSH for Linux and RDP for Windows', () => {
    expect(ingressByPlatform(s.json)).toEqual({
      linux: ['198.51.100.7/32 tcp/22-22', '203.0.113.0/24 tcp/22-22'],
      windows: ['198.51.100.7/32 tcp/3389-3389', '203.0.113.0/24 tcp/3389-3389'],
    });
  });
});

describe('honeypot exposure', () => {
  let s: Synthesized;
  beforeAll(
    () =>
      (s = synthAws(
        configWith((r) => {
          r.exposure.mode = 'honeypot';
          r.exposure.acknowledgeCloudTerms = true;
          r.exposure.honeypotPorts = [22, 445, 3389];
          r.aws.vms = [{ name: 'trap', os: 'ubuntu-24.04', count: 2 }];
        }),
      )),
  );

  test('the honeypot ports are open to the internet, and only those', () => {
    expect(ingressByPlatform(s.json)).toEqual({ linux: ['0.0.0.0/0 tcp/22-22', '0.0.0.0/0 tcp/3389-3389', '0.0.0.0/0 tcp/445-445'] });
  });

  test('both VMs of the entry share the one Linux group', () => {
    const groups = resourcesOf(s.json, 'AWS::EC2::Instance').map(([, i]) => JSON.stringify(i.Properties.NetworkInterfaces[0].GroupSet));
    expect(groups).toHaveLength(2);
    expect(new Set(groups).size).toBe(1);
  });
});

describe('ExposureSecurityGroups refuses honeypot mode without the acknowledgement', () => {
  test('even when handed an unvalidated exposure section', () => {
    const stack = new (require('aws-cdk-lib').Stack)(new App(), 's');
    const vpc = new ec2.Vpc(stack, 'v', { natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }] });
    expect(
      () =>
        new ExposureSecurityGroups(stack, 'x', {
          vpc,
          sandbox: 'lab',
          platforms: ['linux'],
          exposure: { mode: 'honeypot', acknowledgeCloudTerms: false, adminCidrs: [], honeypotPorts: [22] },
        }),
    ).toThrow(/exposure\.acknowledgeCloudTerms: true/);
  });
});
