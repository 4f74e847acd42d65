/**
 * What of a sandbox is still in the clouds after a teardown.
 *
 * AWS: the Resource Groups Tagging API (everything the stack tagged `dskit-sandbox=<name>`), and
 * CloudFormation by name (the stack itself, e.g. in DELETE_FAILED, which the tagging API does not
 * list). GCP: Cloud Asset Inventory's searchAllResources over the project, by label AND by name,
 * because in provider 6.50 the network, subnet, firewall rules, router, service account and log
 * sink carry no labels. The name queries follow Google's search query syntax
 * (cloud.google.com/asset-inventory/docs/query-syntax): `name:ds-eval` is a partial match on the
 * tokens `ds`, `eval` in that order (`-`, `/`, `.`, `@` delimit tokens; `_` does not), so the
 * answers are a superset, narrowed here to short names that start with the sandbox's prefixes.
 *
 * A listing that fails throws LeftoverCheckError (why, and what to do): the caller then says
 * "could not check", never "nothing remains". SDK and auth clients are required inside the
 * functions, so synth and every other command never load them. Both services index with a delay:
 * a resource deleted a minute ago can still be listed; the caller says so.
 */
import { SANDBOX_TAG, activationTokenSecretOf, type Cloud, type SandboxConfig } from '../config';

export interface Leftover {
  readonly cloud: Cloud;
  /** ARN (AWS) or full resource name (GCP). */
  readonly id: string;
  /** e.g. `compute.googleapis.com/Instance`, or the ARN's service. */
  readonly type: string;
  /** `tag`: it carries dskit-sandbox=<name>; `name`: found by the sandbox's name prefix only. */
  readonly foundBy: 'tag' | 'name';
}

/** A listing that did not answer: `message` says why, `next` what the user can do. */
export class LeftoverCheckError extends Error {
  override name = 'LeftoverCheckError';
  constructor(
    readonly cloud: Cloud,
    why: string,
    readonly next: string,
  ) {
    super(why);
  }
}

export type LeftoverLister = (cloud: Cloud, config: SandboxConfig, env: NodeJS.ProcessEnv) => Promise<Leftover[]>;

/** Credentials come from the usual chains (AWS_PROFILE / instance role; ADC for Google). */
export const listLeftovers: LeftoverLister = (cloud, config, env) => (cloud === 'aws' ? listAwsLeftovers(config) : listGcpLeftovers(config, env));

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

// ---- AWS -------------------------------------------------------------------------------------

function awsCheckError(err: unknown, region: string, needs: string): LeftoverCheckError {
  const e = err as { name?: string; message?: string; code?: string };
  const name = e.name ?? 'Error';
  const message = oneLine(e.message ?? String(err));
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new LeftoverCheckError('aws', `no AWS credentials: ${message}`, 'set AWS_PROFILE (or run `aws sso login` / `aws configure`), then re-run `npx dskit teardown`');
  }
  if (/AccessDenied|UnauthorizedOperation|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch/.test(name)) {
    return new LeftoverCheckError('aws', `${name}: ${message}`, `use credentials allowed ${needs} in ${region}, then re-run \`npx dskit teardown\``);
  }
  if (e.code && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN)$/.test(e.code)) {
    return new LeftoverCheckError('aws', `cannot reach AWS: ${e.code} ${message}`, 'check your network or proxy, then re-run `npx dskit teardown`');
  }
  return new LeftoverCheckError('aws', `${name}: ${message}`, 're-run `npx dskit teardown`; if it persists, look in the CloudFormation and Resource Groups consoles');
}

export async function listAwsLeftovers(config: SandboxConfig): Promise<Leftover[]> {
  if (!config.aws) return [];
  const region = config.aws.region;
  const out: Leftover[] = [];

  const tagging = require('@aws-sdk/client-resource-groups-tagging-api') as typeof import('@aws-sdk/client-resource-groups-tagging-api');
  const taggingClient = new tagging.ResourceGroupsTaggingAPIClient({ region });
  try {
    let token: string | undefined;
    do {
      const page = await taggingClient.send(
        new tagging.GetResourcesCommand({ TagFilters: [{ Key: SANDBOX_TAG, Values: [config.name] }], PaginationToken: token, ResourcesPerPage: 100 }),
      );
      for (const m of page.ResourceTagMappingList ?? []) {
        if (!m.ResourceARN) continue;
        out.push({ cloud: 'aws', id: m.ResourceARN, type: m.ResourceARN.split(':')[2] || 'unknown', foundBy: 'tag' });
      }
      token = page.PaginationToken || undefined;
    } while (token);
  } catch (err) {
    throw awsCheckError(err, region, 'tag:GetResources');
  } finally {
    taggingClient.destroy();
  }

  // The stack itself, by name: a DELETE_FAILED stack holds whatever it could not delete.
  const cfn = require('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation');
  const cfnClient = new cfn.CloudFormationClient({ region });
  const stackName = `${config.name}-aws`;
  try {
    const r = await cfnClient.send(new cfn.DescribeStacksCommand({ StackName: stackName }));
    for (const s of r.Stacks ?? []) {
      if (s.StackStatus === 'DELETE_COMPLETE') continue;
      const id = s.StackId ?? stackName;
      if (!out.some((l) => l.id === id)) out.push({ cloud: 'aws', id, type: `cloudformation stack (${s.StackStatus})`, foundBy: 'name' });
    }
  } catch (err) {
    // CloudFormation's answer for a stack that is not there (any more).
    const e = err as { name?: string; message?: string };
    if (!(e.name === 'ValidationError' && /does not exist/.test(e.message ?? ''))) throw awsCheckError(err, region, 'cloudformation:DescribeStacks');
  } finally {
    cfnClient.destroy();
  }
  return out;
}

// ---- GCP -------------------------------------------------------------------------------------

interface AssetSearchPage {
  results?: { name?: string; assetType?: string; labels?: Record<string, string>; state?: string }[];
  nextPageToken?: string;
}

/** Where the Cloud Asset API is; gcloud's own override variable, e.g. for a Private Service Connect endpoint. */
export const GCP_ASSET_ENDPOINT_ENV = 'CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET';
const GCP_ASSET_ENDPOINT = 'https://cloudasset.googleapis.com/';

/** The sandbox's name prefixes on GCP: `ds-eval-…` (network, VMs, sink), `dskit-ds-eval-vm@…`, `dskit_ds_eval_events`. */
export function gcpNamePrefixes(sandbox: string): string[] {
  return [`${sandbox}-`, `dskit-${sandbox}-`, `dskit_${sandbox.replace(/-/g, '_')}_`];
}

/** The searches: one by label, and by name with the prefixes above. */
export function gcpLeftoverQueries(sandbox: string): string[] {
  return [`labels.${SANDBOX_TAG}=${sandbox}`, `name:${sandbox}`, `name:dskit_${sandbox.replace(/-/g, '_')}_*`];
}

/** The last segment of a full resource name: `//compute.googleapis.com/projects/p/global/networks/ds-eval-net` → `ds-eval-net`. */
function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('/') + 1);
}

function gcpCheckError(err: unknown, project: string): LeftoverCheckError {
  const e = err as { message?: string; code?: string; status?: number; response?: { status?: number; data?: any } };
  const status = e.response?.status ?? e.status;
  const body = e.response?.data?.error;
  const message = oneLine(typeof body?.message === 'string' ? body.message : (e.message ?? String(err)));
  const reason = Array.isArray(body?.details) ? body.details.find((d: any) => typeof d?.reason === 'string')?.reason : undefined;
  if (/default credentials/i.test(message)) {
    return new LeftoverCheckError('gcp', `no Google credentials: ${message}`, 'run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS), then re-run `npx dskit teardown`');
  }
  if (status === 403 && reason === 'SERVICE_DISABLED') {
    return new LeftoverCheckError('gcp', `the Cloud Asset API is off: ${message}`, `enable it (\`gcloud services enable cloudasset.googleapis.com --project ${project}\`), then re-run \`npx dskit teardown\``);
  }
  if (status === 403 || status === 401) {
    return new LeftoverCheckError('gcp', `HTTP ${status} ${body?.status ?? ''}: ${message}`.replace('  ', ' '), `use an account with roles/cloudasset.viewer on project ${project}, then re-run \`npx dskit teardown\``);
  }
  if (status !== undefined) {
    return new LeftoverCheckError('gcp', `HTTP ${status} ${body?.status ?? ''}: ${message}`.replace('  ', ' '), 're-run `npx dskit teardown`; if it persists, look in the Cloud console (Asset Inventory)');
  }
  return new LeftoverCheckError('gcp', `cannot reach the Cloud Asset API: ${e.code ? `${e.code} ` : ''}${message}`, 'check your network or proxy, then re-run `npx dskit teardown`');
}

export async function listGcpLeftovers(config: SandboxConfig, env: NodeJS.ProcessEnv = process.env): Promise<Leftover[]> {
  if (!config.gcp) return [];
  const project = config.gcp.project;
  const { GoogleAuth } = require('google-auth-library') as typeof import('google-auth-library');
  const base = (env[GCP_ASSET_ENDPOINT_ENV] || GCP_ASSET_ENDPOINT).replace(/\/?$/, '/');
  const url = `${base}v1/projects/${encodeURIComponent(project)}:searchAllResources`;
  const prefixes = gcpNamePrefixes(config.name);
  // The user's own objects that share the prefix: the token secret they made, the state bucket.
  const kept = new Set([activationTokenSecretOf(config.manager), config.gcp.stateBucket].filter((n): n is string => !!n));
  const found = new Map<string, Leftover>();
  try {
    const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    const client = await auth.getClient();
    for (const query of gcpLeftoverQueries(config.name)) {
      const byLabel = query.startsWith('labels.');
      let pageToken: string | undefined;
      do {
        const res = await client.request<AssetSearchPage>({ url, params: { query, pageSize: 500, ...(pageToken ? { pageToken } : {}) } });
        for (const r of res.data.results ?? []) {
          if (!r.name || found.has(r.name)) continue;
          const label = r.labels?.[SANDBOX_TAG];
          if (byLabel) {
            if (label !== config.name) continue;
          } else {
            const short = shortName(r.name);
            // Another sandbox's resource that shares a prefix carries that sandbox's label.
            if (kept.has(short) || (label !== undefined && label !== config.name) || !prefixes.some((p) => short.startsWith(p))) continue;
          }
          found.set(r.name, { cloud: 'gcp', id: r.name, type: r.assetType ?? 'unknown', foundBy: label === config.name ? 'tag' : 'name' });
        }
        pageToken = res.data.nextPageToken || undefined;
      } while (pageToken);
    }
  } catch (err) {
    throw gcpCheckError(err, project);
  }
  return [...found.values()];
}
