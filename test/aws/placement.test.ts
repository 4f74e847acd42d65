/**
 * Zones and capacity: where each VM goes, and `dskit preflight`'s check that its instance type is
 * offered there (before a deploy, not half-way through one). EC2 is a stand-in here that answers
 * as DescribeAvailabilityZones / DescribeInstanceTypeOfferings do; the VM placement is the one
 * the stack uses (checked against the synthesized template).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { awsPlacementChecks, offeringChecks, vmPlacements, type Ec2Offerings } from '../../lib/aws/placement';
import { configWith } from '../helpers/config';
import { pinnedContext, synthPinned } from './synth';

/** Zones and what they offer, the way EC2 would list them; records what was asked. */
function fakeEc2(zones: string[], offers: Record<string, string[]>): Ec2Offerings & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async zones(region) {
      asked.push(`zones ${region}`);
      return zones;
    },
    async offered(region, types, inZones) {
      asked.push(`offered ${region} ${[...types].sort().join(',')} in ${inZones.join(',')}`);
      return new Map(inZones.map((z) => [z, new Set((offers[z] ?? []).filter((t) => types.includes(t)))]));
    },
  };
}

const config = configWith((r) => {
  r.aws.region = 'us-east-1';
  r.aws.vms = [
    { name: 'web', os: 'ubuntu-24.04', instanceType: 't3.medium', count: 2 },
    { name: 'gpu', os: 'amazon-linux-2023', instanceType: 'g6.xlarge', count: 1 },
  ];
});

describe('vmPlacements: the zones the stack puts the VMs in', () => {
  test('agrees with the synthesized template, VM by VM', () => {
    const s = synthPinned(config);
    const zones = ['us-east-1a', 'us-east-1c'];
    const fromStack = Object.fromEntries(s.stack.vms.map((vm) => [vm.displayName, s.stack.resolve(vm.subnet.availabilityZone)]));
    const planned = Object.fromEntries(vmPlacements(config).map((p) => [p.displayName, zones[p.zoneIndex]]));
    expect(planned).toEqual(fromStack);
    expect(planned).toEqual({ 'ds-eval-aws-web-1': 'us-east-1a', 'ds-eval-aws-web-2': 'us-east-1c', 'ds-eval-aws-gpu-1': 'us-east-1c' });
  });
});

describe('preflight: each instance type must be offered in its VM\'s zone', () => {
  let cwd: string;
  beforeAll(() => (cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-placement-'))));
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  test('every type offered where it goes: one PASS, asking EC2 only about the two zones used', async () => {
    const ec2 = fakeEc2(['us-east-1a', 'us-east-1b', 'us-east-1c'], { 'us-east-1a': ['t3.medium', 'g6.xlarge'], 'us-east-1b': ['t3.medium', 'g6.xlarge'] });
    const checks = await awsPlacementChecks(config, cwd, {}, ec2);
    expect(checks).toEqual([{ outcome: 'PASS', check: 'AWS instance types offered in their zones', detail: 't3.medium, g6.xlarge offered where the VMs go (us-east-1a, us-east-1b, as EC2 lists them now)' }]);
    expect(ec2.asked).toEqual(['zones us-east-1', 'offered us-east-1 g6.xlarge,t3.medium in us-east-1a,us-east-1b']);
  });

  test('a type missing in its zone fails, naming the VM, the zone and where the type is offered', async () => {
    const ec2 = fakeEc2(['us-east-1a', 'us-east-1e'], { 'us-east-1a': ['t3.medium', 'g6.xlarge'], 'us-east-1e': ['t3.medium'] });
    const checks = await awsPlacementChecks(config, cwd, {}, ec2);
    expect(checks).toEqual([
      {
        outcome: 'FAIL',
        check: 'AWS instance types offered in their zones',
        detail: 'aws.vms[1].instanceType "g6.xlarge" is not offered in us-east-1e, where ds-eval-aws-gpu-1 would go (zones us-east-1a, us-east-1e, as EC2 lists them now)',
        fix: expect.stringContaining('g6.xlarge is only in us-east-1a'),
      },
    ]);
  });

  test('the zones pinned in cdk.context.json win over what EC2 lists now (they are what the deploy uses)', async () => {
    fs.writeFileSync(path.join(cwd, 'cdk.context.json'), JSON.stringify(pinnedContext(config)));
    const ec2 = fakeEc2(['us-east-1a', 'us-east-1b'], { 'us-east-1a': ['t3.medium', 'g6.xlarge'], 'us-east-1c': ['t3.medium'] });
    const checks = await awsPlacementChecks(config, cwd, {}, ec2);
    expect(ec2.asked).toEqual(['offered us-east-1 g6.xlarge,t3.medium in us-east-1a,us-east-1c']);
    expect(checks.map((c) => c.detail)).toEqual([expect.stringMatching(/"g6\.xlarge" is not offered in us-east-1c, .*pinned in cdk\.context\.json/)]);
    fs.rmSync(path.join(cwd, 'cdk.context.json'));
  });

  test('a type offered nowhere in the sandbox\'s zones says so', () => {
    const checks = offeringChecks(vmPlacements(config), ['z-a', 'z-b'], new Map([['z-a', new Set(['t3.medium'])], ['z-b', new Set(['t3.medium'])]]), 'test');
    expect(checks.map((c) => c.fix)).toEqual([expect.stringMatching(/^g6\.xlarge is offered in neither zone/)]);
  });

  test('no credentials: SKIP with what to set, and EC2 is not asked (no metadata-service probing)', async () => {
    const checks = await awsPlacementChecks(config, cwd, { HOME: cwd });
    expect(checks).toEqual([expect.objectContaining({ outcome: 'SKIP', detail: expect.stringContaining('no AWS credentials configured') })]);
  });

  test('EC2 failing is a FAIL line, not a crash', async () => {
    const broken: Ec2Offerings = { zones: async () => Promise.reject(new Error('UnauthorizedOperation: not allowed')), offered: async () => new Map() };
    const checks = await awsPlacementChecks(config, cwd, {}, broken);
    expect(checks).toEqual([expect.objectContaining({ outcome: 'FAIL', detail: 'EC2 could not be asked: UnauthorizedOperation: not allowed' })]);
  });
});
