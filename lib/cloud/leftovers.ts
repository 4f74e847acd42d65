/**
 * What is still tagged / labelled `dskit-sandbox=<name>` after a teardown.
 *
 * AWS: the Resource Groups Tagging API in the sandbox's region. GCP: Cloud Asset Inventory's
 * searchAllResources over the project. Their SDK / auth clients are required inside the
 * functions, so synth and every other command never load them.
 *
 * Both services index with a delay: a resource deleted a minute ago can still be listed. The
 * caller says so rather than hiding it.
 */
import { SANDBOX_TAG, type Cloud, type SandboxConfig } from '../config';

export interface Leftover {
  readonly cloud: Cloud;
  /** ARN (AWS) or full resource name (GCP). */
  readonly id: string;
  /** e.g. `compute.googleapis.com/Instance`, or the ARN's service. */
  readonly type: string;
}

export type LeftoverLister = (cloud: Cloud, config: SandboxConfig, env: NodeJS.ProcessEnv) => Promise<Leftover[]>;

/** Credentials come from the usual chains (AWS_PROFILE / instance role; ADC for Google). */
export const listLeftovers: LeftoverLister = (cloud, config) => (cloud === 'aws' ? listAwsLeftovers(config) : listGcpLeftovers(config));

export async function listAwsLeftovers(config: SandboxConfig): Promise<Leftover[]> {
  if (!config.aws) return [];
  const sdk = require('@aws-sdk/client-resource-groups-tagging-api') as typeof import('@aws-sdk/client-resource-groups-tagging-api');
  const client = new sdk.ResourceGroupsTaggingAPIClient({ region: config.aws.region });
  const out: Leftover[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new sdk.GetResourcesCommand({ TagFilters: [{ Key: SANDBOX_TAG, Values: [config.name] }], PaginationToken: token, ResourcesPerPage: 100 }),
    );
    for (const m of page.ResourceTagMappingList ?? []) {
      if (!m.ResourceARN) continue;
      out.push({ cloud: 'aws', id: m.ResourceARN, type: m.ResourceARN.split(':')[2] ?? 'unknown' });
    }
    token = page.PaginationToken || undefined;
  } while (token);
  return out;
}

interface AssetSearchPage {
  results?: { name?: string; assetType?: string; labels?: Record<string, string>; state?: string }[];
  nextPageToken?: string;
}

export async function listGcpLeftovers(config: SandboxConfig): Promise<Leftover[]> {
  if (!config.gcp) return [];
  const { GoogleAuth } = require('google-auth-library') as typeof import('google-auth-library');
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  const client = await auth.getClient();
  const url = `https://cloudasset.googleapis.com/v1/projects/${encodeURIComponent(config.gcp.project)}:searchAllResources`;
  const out: Leftover[] = [];
  let pageToken: string | undefined;
  do {
    const res = await client.request<AssetSearchPage>({
      url,
      params: { query: `labels.${SANDBOX_TAG}=${config.name}`, pageSize: 500, ...(pageToken ? { pageToken } : {}) },
    });
    for (const r of res.data.results ?? []) {
      // The query matches label words; keep exact values only.
      if (!r.name || r.labels?.[SANDBOX_TAG] !== config.name) continue;
      out.push({ cloud: 'gcp', id: r.name, type: r.assetType ?? 'unknown' });
    }
    pageToken = res.data.nextPageToken || undefined;
  } while (pageToken);
  return out;
}
