/**
 * Known regions and zones of each cloud, from lib/config/data/ (where each list comes from and
 * how it is refreshed: scripts/refresh-config-data.ts, docs/maintenance.md).
 */
import awsRegions from './data/aws-regions.json';
import gcpZones from './data/gcp-zones.json';
import { didYouMean } from './suggest';

type NonEmpty = [string, ...string[]];

/** AWS regions dskit deploys to: the `aws` partition, with every region fact the stack needs. */
export const AWS_REGIONS = awsRegions.deployable as NonEmpty;

const CDK_VERSION = awsRegions.sources['aws-cdk-lib'];

/** Why an `aws.region` value is refused (it is not in AWS_REGIONS). */
export function awsRegionProblem(region: string): string {
  const partition = (awsRegions.otherPartitions as Record<string, string>)[region];
  if (partition) {
    return `is in the ${partition} partition; dskit deploys to the aws partition only (its boot scripts call *.amazonaws.com endpoints)`;
  }
  if (awsRegions.noFirehoseRange.includes(region)) {
    return (
      `is an AWS region, but aws-cdk-lib ${CDK_VERSION} has no Kinesis Data Firehose address range for it, which the events ` +
      `pipeline's delivery stream needs (synth would fail); pick another region (a newer aws-cdk-lib may add it)`
    );
  }
  if (awsRegions.unknownToCdk.includes(region)) {
    return `is an AWS region too new for aws-cdk-lib ${CDK_VERSION} (it has no facts for it); pick another region until dskit upgrades aws-cdk-lib`;
  }
  return `is not an AWS region${didYouMean(region, AWS_REGIONS) || `; allowed: ${AWS_REGIONS.join(', ')}`}`;
}

const gcpRegionZones = gcpZones.regions as Record<string, string[]>;

/** Compute Engine regions. */
export const GCP_REGIONS = Object.keys(gcpRegionZones) as NonEmpty;
/** Compute Engine zones, `<region>-<letter>`. */
export const GCP_ZONES = GCP_REGIONS.flatMap((r) => gcpRegionZones[r].map((z) => `${r}-${z}`)) as NonEmpty;

export const zonesOfGcpRegion = (region: string): string[] => (gcpRegionZones[region] ?? []).map((z) => `${region}-${z}`);

export function gcpRegionProblem(region: string): string {
  return `is not a Compute Engine region${didYouMean(region, GCP_REGIONS) || `; allowed: ${GCP_REGIONS.join(', ')}`}`;
}

export function gcpZoneProblem(zone: string): string {
  const region = zone.replace(/-[a-z]$/, '');
  const zones = zonesOfGcpRegion(region);
  if (zones.length > 0) return `is not a zone of ${region}; its zones are ${zones.join(', ')}`;
  return `is not a Compute Engine zone${didYouMean(zone, GCP_ZONES) || ` (Google's list, checked ${gcpZones.checked}: ${gcpZones.source})`}`;
}
