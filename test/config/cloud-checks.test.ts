/**
 * Values each cloud (or dskit's own layout) would refuse are config errors: one line naming the
 * key, the value and what is allowed, before anything synthesizes (issue 14 items 1 and 2).
 */
import { stringify } from 'yaml';
import { configWarnings, loadConfig, syslogForwardingWarning } from '../../lib/config';
import { configProblems, configWith, exampleRaw } from '../helpers/config';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const problemsOf = configProblems;

describe('regions and zones', () => {
  test('an AWS region typo names the region meant', () => {
    expect(problemsOf((r) => (r.aws.region = 'ap-northest-1'))).toEqual([
      'sandbox.yaml: aws.region: got "ap-northest-1"; is not an AWS region; did you mean "ap-northeast-1"?',
    ]);
  });

  test('a real AWS region aws-cdk-lib has no Firehose range for (synth crashed with MappingDoesnTContainTopLevel) says why', () => {
    expect(problemsOf((r) => (r.aws.region = 'mx-central-1'))).toEqual([
      expect.stringMatching(/^sandbox\.yaml: aws\.region: got "mx-central-1"; is an AWS region, but aws-cdk-lib [\d.]+ has no Kinesis Data Firehose address range/),
    ]);
  });

  test('regions of other partitions are refused with the partition named', () => {
    expect(problemsOf((r) => (r.aws.region = 'cn-north-1'))).toEqual([expect.stringMatching(/got "cn-north-1"; is in the aws-cn partition; dskit deploys to the aws partition only/)]);
    expect(problemsOf((r) => (r.aws.region = 'us-gov-west-1'))).toEqual([expect.stringMatching(/is in the aws-us-gov partition/)]);
  });

  test('a value nothing like a region lists the allowed ones', () => {
    const [line] = problemsOf((r) => (r.aws.region = 'tokyo'));
    expect(line).toMatch(/^sandbox\.yaml: aws\.region: got "tokyo"; is not an AWS region; allowed: .*\bap-northeast-1\b.*\bus-east-1\b/);
    expect(line).not.toMatch(/mx-central-1|cn-north-1/);
  });

  test('every deployable AWS region is accepted', () => {
    for (const region of ['us-east-1', 'eu-central-1', 'ap-southeast-7', 'il-central-1']) {
      expect(configWith((r) => (r.aws.region = region)).aws?.region).toBe(region);
    }
  });

  test('a GCP zone letter the region does not have lists its zones', () => {
    expect(problemsOf((r) => (r.gcp.zone = 'asia-northeast1-z'))).toEqual([
      'sandbox.yaml: gcp.zone: got "asia-northeast1-z"; is not a zone of asia-northeast1; its zones are asia-northeast1-a, asia-northeast1-b, asia-northeast1-c',
    ]);
    // europe-west1 has no -a: a real trap
    expect(problemsOf((r) => Object.assign(r.gcp, { region: 'europe-west1', zone: 'europe-west1-a' }))).toEqual([
      expect.stringMatching(/gcp\.zone: got "europe-west1-a"; is not a zone of europe-west1; its zones are europe-west1-b, europe-west1-c, europe-west1-d/),
    ]);
  });

  test('a GCP region typo names the region meant; the zone of another region still says so', () => {
    expect(problemsOf((r) => Object.assign(r.gcp, { region: 'asia-northeast9', zone: 'asia-northeast1-a' }))).toEqual([
      'sandbox.yaml: gcp.region: got "asia-northeast9"; is not a Compute Engine region; did you mean "asia-northeast1"?',
      expect.stringMatching(/gcp\.zone: got "asia-northeast1-a"; must be a zone of gcp\.region asia-northeast9/),
    ]);
  });
});

describe('CIDR ranges', () => {
  test('a VPC too small for dskit\'s two /24 subnets (synth crashed: SubnetCountExceedsRemainingSpace)', () => {
    expect(problemsOf((r) => (r.aws.vpcCidr = '10.60.0.0/30'))).toEqual([
      'sandbox.yaml: aws.vpcCidr: got "10.60.0.0/30"; prefix /30 is out of range: AWS allows a VPC of /16 to /28 and dskit puts a /24 subnet in each of 2 availability zones, so /16 to /23',
    ]);
    expect(problemsOf((r) => (r.aws.vpcCidr = '10.60.0.0/24'))).toEqual([expect.stringMatching(/prefix \/24 is out of range/)]);
  });

  test('a VPC larger than AWS allows', () => {
    expect(problemsOf((r) => (r.aws.vpcCidr = '10.0.0.0/12'))).toEqual([expect.stringMatching(/aws\.vpcCidr: got "10\.0\.0\.0\/12"; prefix \/12 is out of range/)]);
  });

  test('host bits set name the network meant, for every CIDR key', () => {
    expect(problemsOf((r) => (r.aws.vpcCidr = '10.60.1.7/16'))).toEqual([
      'sandbox.yaml: aws.vpcCidr: got "10.60.1.7/16"; has host bits set; did you mean 10.60.0.0/16?',
    ]);
    expect(problemsOf((r) => (r.gcp.subnetCidr = '10.61.0.9/24'))).toEqual([expect.stringMatching(/gcp\.subnetCidr: .*did you mean 10\.61\.0\.0\/24\?/)]);
    expect(problemsOf((r) => (r.exposure.adminCidrs = ['203.0.113.0/24', '198.51.100.77/24']))).toEqual([
      'sandbox.yaml: exposure.adminCidrs[1]: got "198.51.100.77/24"; has host bits set; did you mean 198.51.100.0/24?',
    ]);
  });

  test('a GCP subnet outside Compute Engine\'s /8-/29', () => {
    expect(problemsOf((r) => (r.gcp.subnetCidr = '10.61.0.0/30'))).toEqual([expect.stringMatching(/gcp\.subnetCidr: got "10\.61\.0\.0\/30"; prefix \/30 is out of range: a Compute Engine subnet primary range is \/8 to \/29/)]);
  });

  test('reserved ranges are refused', () => {
    expect(problemsOf((r) => (r.aws.vpcCidr = '169.254.0.0/16'))).toEqual([expect.stringMatching(/is inside 169\.254\.0\.0\/16 \(link-local/)]);
    expect(problemsOf((r) => (r.gcp.subnetCidr = '127.1.0.0/24'))).toEqual([expect.stringMatching(/is inside 127\.0\.0\.0\/8 \(loopback\)/)]);
  });

  test('the limits accept their edges', () => {
    const cfg = configWith((r) => Object.assign(r, { aws: { ...r.aws, vpcCidr: '10.60.0.0/23' }, gcp: { ...r.gcp, subnetCidr: '10.61.0.0/29' } }));
    expect([cfg.aws?.vpcCidr, cfg.gcp?.subnetCidr]).toEqual(['10.60.0.0/23', '10.61.0.0/29']);
    expect(configWith((r) => (r.exposure.adminCidrs = ['203.0.113.7/32'])).exposure.adminCidrs).toEqual(['203.0.113.7/32']);
  });
});

describe('exposure', () => {
  test('honeypot mode with no ports (AWS accepted, GCP crashed)', () => {
    expect(problemsOf((r) => Object.assign(r.exposure, { mode: 'honeypot', acknowledgeCloudTerms: true, honeypotPorts: [] }))).toEqual([
      'sandbox.yaml: exposure.honeypotPorts: got []; honeypot mode needs at least one port (e.g. [22, 1433, 3389]); or use mode: private',
    ]);
  });

  test('0.0.0.0/0 as an admin range in private mode (GCP accepted it silently)', () => {
    expect(problemsOf((r) => (r.exposure.adminCidrs = ['0.0.0.0/0']))).toEqual([
      expect.stringMatching(/^sandbox\.yaml: exposure\.adminCidrs\[0\]: got "0\.0\.0\.0\/0"; opens SSH\/RDP to the whole internet, which private mode is meant to prevent/),
    ]);
  });

  test('honeypot mode may admit the internet: that is its point, and acknowledged', () => {
    const cfg = configWith((r) => Object.assign(r.exposure, { mode: 'honeypot', acknowledgeCloudTerms: true, adminCidrs: ['0.0.0.0/0'] }));
    expect(cfg.exposure.adminCidrs).toEqual(['0.0.0.0/0']);
  });
});

describe('instance and machine types', () => {
  test('an EC2 instance type typo names the type meant', () => {
    expect(problemsOf((r) => (r.aws.vms[0].instanceType = 't3.mediun'))).toEqual([
      'sandbox.yaml: aws.vms[0].instanceType: got "t3.mediun"; is not an EC2 instance type; did you mean "t3.medium"?',
    ]);
  });

  test('a Compute Engine machine type typo names the type meant', () => {
    expect(problemsOf((r) => (r.gcp.vms[0].machineType = 'e2-medum'))).toEqual([
      'sandbox.yaml: gcp.vms[0].machineType: got "e2-medum"; is not a Compute Engine machine type; did you mean "e2-medium"?',
    ]);
    expect(problemsOf((r) => (r.gcp.vms[1].machineType = 'n2-standrd-4'))).toEqual([expect.stringMatching(/did you mean "n2-standard-4"\?/)]);
  });

  test('real types pass, custom GCP types and families whose sizes are not all listed included', () => {
    const cfg = configWith((r) => {
      r.aws.vms[0].instanceType = 'm7i-flex.large';
      r.gcp.vms[0].machineType = 'n2-custom-4-8192';
      r.gcp.vms[1].machineType = 'c3-standard-4-lssd';
    });
    expect(configWarnings(cfg)).toEqual([]);
  });

  test('an Arm GCP machine type is refused: dskit\'s GCP images are x86_64', () => {
    expect(problemsOf((r) => (r.gcp.vms[0].machineType = 't2a-standard-2'))).toEqual([
      expect.stringMatching(/gcp\.vms\[0\]\.machineType: got "t2a-standard-2"; is an Arm machine type; dskit's GCP images are x86_64/),
    ]);
  });

  test('an unknown type far from any known one is a warning, not an error (it may be newer than the lists)', () => {
    const cfg = configWith((r) => {
      r.aws.vms[0].instanceType = 'zz42q.hyperlarge';
      r.gcp.vms[0].machineType = 'zz9-turbo-4';
    });
    expect(configWarnings(cfg).map((w) => [w.path.join('.'), w.message])).toEqual([
      ['aws.vms.0.instanceType', expect.stringMatching(/^is not an instance type in the EC2 API model of @aws-sdk\/client-ec2 [\d.]+/)],
      ['gcp.vms.0.machineType', expect.stringMatching(/^is not a machine type in dskit's list/)],
    ]);
  });
});

describe('warnings', () => {
  test('every count 0 on a cloud is an empty lab, warned about with its key', () => {
    const cfg = configWith((r) => r.aws.vms.forEach((vm: any) => (vm.count = 0)));
    expect(configWarnings(cfg)).toEqual([
      { path: ['aws', 'vms'], message: expect.stringMatching(/^no VM to deploy \(every count is 0\): the AWS stack would hold only the network and the event pipeline/) },
    ]);
    expect(configWarnings(configWith((r) => (r.gcp.vms = [])))).toEqual([{ path: ['gcp', 'vms'], message: expect.stringMatching(/the list is empty/) }]);
    expect(configWarnings(configWith())).toEqual([]);
  });

  test('loadConfig formats warnings as one line naming file and key', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-warn-'));
    try {
      const raw = exampleRaw();
      raw.gcp.vms.forEach((vm: any) => (vm.count = 0));
      fs.writeFileSync(path.join(dir, 'sandbox.yaml'), stringify(raw));
      const loaded = loadConfig({ cwd: dir, env: {} });
      expect(loaded.warnings).toEqual([expect.stringMatching(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/sandbox\\.yaml: gcp\\.vms: warning: no VM to deploy`))]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('syslogConfigId 0 is named for `policy ensure`: the policy would forward no events', () => {
    expect(syslogForwardingWarning(configWith())).toEqual({
      path: ['events', 'syslogConfigId'],
      message: 'is 0: the sandbox policy will forward no events (nothing reaches Athena or BigQuery)',
      fix: expect.stringMatching(/^create a syslog configuration in the manager pointing at 127\.0\.0\.1:514 \(UDP, CEF/),
    });
    expect(syslogForwardingWarning(configWith((r) => (r.events.syslogConfigId = 3)))).toBeUndefined();
  });
});

describe('the CIDR limits match what synth accepts', () => {
  test('the smallest VPC allowed (/23) synthesizes dskit\'s two /24 subnets', () => {
    const { synthAws, resourcesOf } = require('../aws/synth') as typeof import('../aws/synth');
    const { json } = synthAws(configWith((r) => (r.aws.vpcCidr = '10.60.4.0/23')));
    expect(resourcesOf(json, 'AWS::EC2::Subnet').map(([, s]) => s.Properties.CidrBlock)).toEqual(['10.60.4.0/24', '10.60.5.0/24']);
  });
});
