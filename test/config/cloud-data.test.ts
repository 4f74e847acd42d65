/**
 * The cloud facts under lib/config/data/ are what the installed libraries say: upgrading
 * aws-cdk-lib, the AWS SDK or @aws-sdk/client-ec2 without `npm run refresh-config-data` fails here,
 * so the region and instance-type checks never lag behind the code that synthesizes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { awsRegionData, DATA_DIR, ec2InstanceTypeData, gcpRegionsFromZoneList, json } from '../../scripts/refresh-config-data';
import { AWS_REGIONS, GCP_REGIONS, GCP_ZONES } from '../../lib/config/regions';
import { knownGcpMachineTypes } from '../../lib/config/machine-types';
import { configWith } from '../helpers/config';

const committed = (name: string) => fs.readFileSync(path.join(DATA_DIR, name), 'utf8');
const REFRESH = 'run `npm run refresh-config-data` and commit lib/config/data/';

describe('lib/config/data is current', () => {
  test('aws-regions.json matches aws-cdk-lib region-info and the SDK partitions', () => {
    const fresh = json(awsRegionData());
    if (committed('aws-regions.json') !== fresh) throw new Error(`lib/config/data/aws-regions.json is stale: ${REFRESH}`);
  });

  test('ec2-instance-types.json matches the EC2 API model', () => {
    const fresh = json(ec2InstanceTypeData());
    if (committed('ec2-instance-types.json') !== fresh) throw new Error(`lib/config/data/ec2-instance-types.json is stale: ${REFRESH}`);
  });

  test('every region dskit accepts carries the Firehose fact the delivery stream maps (what mx-central-1 lacked)', () => {
    // aws-kinesisfirehose's DeliveryStream maps RegionInfo's firehoseCidrBlock by the stack's region
    expect(AWS_REGIONS.filter((r) => !RegionInfo.get(r).firehoseCidrBlock)).toEqual([]);
    expect(AWS_REGIONS).not.toContain('mx-central-1');
  });
});

describe('GCP lists', () => {
  test('zones are <region>-<letter> of a listed region, and every region has a zone', () => {
    for (const zone of GCP_ZONES) expect(GCP_REGIONS).toContain(zone.replace(/-[a-z]$/, ''));
    for (const region of GCP_REGIONS) expect(GCP_ZONES.some((z) => z.startsWith(`${region}-`))).toBe(true);
    expect(GCP_ZONES).toEqual(expect.arrayContaining(['asia-northeast1-a', 'us-central1-f', 'europe-west1-b']));
    expect(GCP_ZONES).not.toContain('europe-west1-a');
  });

  test('the refresh script reads `gcloud compute zones list` output', () => {
    expect(gcpRegionsFromZoneList('us-east1-c\nus-east1-b\neurope-west1-d\n')).toEqual({ 'europe-west1': ['d'], 'us-east1': ['b', 'c'] });
    expect(() => gcpRegionsFromZoneList('us-east1')).toThrow(/not a zone name: us-east1/);
  });

  test('machine types expand from families to <family>-<class>-<vCPUs>', () => {
    const types = knownGcpMachineTypes();
    expect([...types]).toEqual(expect.arrayContaining(['e2-medium', 'e2-standard-2', 'n2-highmem-128', 'f1-micro', 't2d-standard-60']));
    expect(types.has('e2-standard-64')).toBe(false);
  });

  test('the example config uses listed regions, zones and types', () => {
    const example = configWith();
    expect(GCP_ZONES).toContain(example.gcp!.zone);
    for (const vm of example.gcp!.vms) expect(knownGcpMachineTypes().has(vm.machineType)).toBe(true);
  });
});
