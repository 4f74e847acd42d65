/**
 * The `sandbox.yaml` schema (SPEC §3). One file drives both clouds.
 *
 * Every object is `.strict()`: an unknown key is an error, because a typo
 * (`instancetype:`) silently ignored would deploy something the user did not ask for.
 */
import { z } from 'zod';
import { API_KEY_ENV_RULE, reservedApiKeyEnv } from './api-key-env';
import { GCP_LABEL_MAX, gcpLabelForm } from './labels';
import { crossFieldIssues } from './cross-field';
import { AWS_VPC_PREFIX, GCP_SUBNET_PREFIX } from './cidr';
import * as cloud from './cloud-fields';

export const AWS_OS = ['amazon-linux-2023', 'ubuntu-22.04', 'ubuntu-24.04', 'rhel-9', 'debian-12', 'windows-2022'] as const;
export const GCP_OS = ['debian-12', 'ubuntu-22.04', 'ubuntu-24.04', 'rhel-9', 'windows-2022'] as const;
export const ARCHES = ['x86_64', 'arm64'] as const;
export const MANAGER_TYPES = ['workload-security', 'dsm', 'vision-one'] as const;
export const EXPOSURE_MODES = ['private', 'honeypot'] as const;

export type AwsOs = (typeof AWS_OS)[number];
export type GcpOs = (typeof GCP_OS)[number];
export type VmOs = AwsOs | GcpOs;
export type Arch = (typeof ARCHES)[number];
export type Cloud = 'aws' | 'gcp';
export const CLOUDS: readonly Cloud[] = ['aws', 'gcp'];

const SANDBOX_NAME = /^[a-z][a-z0-9-]{1,19}$/;
const VM_NAME = /^[a-z][a-z0-9-]{0,29}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// Valid as a secret name on both clouds: GCP Secret Manager ids allow only these.
const SECRET_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const AWS_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;

const positiveId = z.number().int().min(1);
const optionalId = z.number().int().min(0).default(0);
const port = z.number().int().min(1).max(65535);

const exactlyOneOfIdOrName = (p: { id?: number; name?: string }, ctx: z.RefinementCtx) => {
  if ((p.id === undefined) === (p.name === undefined)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'give exactly one of `id` or `name`' });
  }
};

const policyFields = {
  /** Deep Security policy id. */
  id: positiveId.optional(),
  /** Policy name, resolved to an id through the API (`dskit policy resolve`, cached in dskit.context.json). */
  name: z.string().min(1).optional(),
};

/** The sandbox's policy, computer group and relay group. Exactly one of `id` or `name`. */
export const policySchema = z
  .object({ ...policyFields, groupId: optionalId, relayGroupId: optionalId })
  .strict()
  .superRefine(exactlyOneOfIdOrName);

/** A VM's override of the policy; group ids not given are inherited from the top-level `policy`. */
export const vmPolicySchema = z
  .object({ ...policyFields, groupId: z.number().int().min(0).optional(), relayGroupId: z.number().int().min(0).optional() })
  .strict()
  .superRefine(exactlyOneOfIdOrName);

const managerCommon = {
  tenantId: z.string().regex(GUID, 'must be a tenant GUID like 00000000-0000-0000-0000-000000000000').optional(),
  tenantNumericId: z.number().int().min(0).default(0),
  activationTokenSecret: z
    .string()
    .regex(SECRET_NAME, 'must be 1-255 letters, digits, - or _ (valid in AWS Secrets Manager and GCP Secret Manager)'),
  apiKeyEnv: z
    .string()
    .regex(ENV_VAR, 'must be an environment variable name')
    .refine((v) => reservedApiKeyEnv(v) === undefined, (v) => ({ message: `is ${reservedApiKeyEnv(v)}; apiKeyEnv ${API_KEY_ENV_RULE}` }))
    .default('DS_API_KEY'),
  /**
   * The header the API key travels in. Keys created in the manager console (Administration > User
   * Management > API Keys: DSM, Workload Security, Server & Workload Protection) use
   * `api-secret-key`; Trend Micro Cloud One account API keys use `Authorization: ApiKey`
   * (`authorization`). Trend: "Send your first request using the API".
   */
  apiKeyHeader: z.enum(['api-secret-key', 'authorization']).default('api-secret-key'),
  proxy: z
    .string()
    .refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), 'must be empty or an http(s):// URL')
    .default(''),
  verifyPackageSignature: z.boolean().default(true),
  /** For self-hosted managers with a self-signed certificate: the CLI then skips TLS verification. */
  allowSelfSignedCertificate: z.boolean().default(false),
};

const httpsUrl = z
  .string()
  .regex(/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, 'must be https://host[:port] with no path');
const dsmUrl = z
  .string()
  .regex(/^dsm:\/\/[A-Za-z0-9.-]+:\d{1,5}\/$/, 'must be dsm://host:port/ (e.g. dsm://dsm.example.com:4120/)');

const workloadSecurityManager = z
  .object({
    type: z.literal('workload-security'),
    region: z.string().regex(/^[a-z]+(-[a-z]+)?-\d$/, 'must be a Workload Security region like us-1, de-1, jp-1'),
    ...managerCommon,
    tenantId: managerCommon.tenantId.unwrap(),
  })
  .strict();

const dsmManager = z
  .object({
    type: z.literal('dsm'),
    url: httpsUrl,
    activationUrl: dsmUrl,
    ...managerCommon,
  })
  .strict();

/** A package file on the user's machine; a relative path is from the config file's folder. */
const installerPath = z.string().min(1, 'must be the path of the downloaded package file');

/**
 * The Agent Installer packages downloaded from the Vision One console (Endpoint Security >
 * Endpoint Inventory > Agent Installer, Server & Workload Protection; Trend: "Deploy agents with
 * Server & Workload Protection features"): tenant-specific, one per OS and architecture (Linux
 * `.tar`, Windows `.zip`), so kept out of git (.gitignore: installers/). Each VM needs its OS and
 * arch's package (lib/config/installers.ts checks; docs/vision-one.md).
 */
const installersSchema = z
  .object({
    linux: z.object({ x86_64: installerPath.optional(), arm64: installerPath.optional() }).strict().default({}),
    windows: installerPath.optional(),
  })
  .strict();

/**
 * Trend Vision One Server & Workload Protection: the API of the region's manager
 * (`https://workload.<region>.cloudone.trendmicro.com/api`, keys from its console in the header
 * `api-secret-key`), and agents from the tenant's Agent Installer packages, which register
 * themselves: no activation token, tenant id or package download from the manager.
 */
const { tenantId: _tenantId, tenantNumericId: _tenantNumericId, activationTokenSecret: _tokenSecret, ...managerWithoutActivation } = managerCommon;
const visionOneManager = z
  .object({
    type: z.literal('vision-one'),
    region: z.string().regex(/^[a-z]+(-[a-z]+)?-\d$/, 'must be a Server & Workload Protection region like us-1, de-1, jp-1'),
    ...managerWithoutActivation,
    /** Windows: the Authenticode signature of the package's EndpointBasecamp.exe (Linux packages carry none: their SHA-256 is pinned). */
    verifyPackageSignature: managerCommon.verifyPackageSignature,
    installers: installersSchema,
  })
  .strict();

export const managerSchema = z.discriminatedUnion('type', [workloadSecurityManager, dsmManager, visionOneManager]);

const eventsSchema = z
  .object({
    retentionDays: z.number().int().min(1).max(3650).default(30),
    syslogPort: port.default(514),
    syslogConfigId: optionalId,
  })
  .strict();

const exposureSchema = z
  .object({
    mode: z.enum(EXPOSURE_MODES).default('private'),
    adminCidrs: z.array(z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR like 203.0.113.0/24').superRefine(cloud.sourceRange)).default([]),
    honeypotPorts: z.array(port).default([22, 1433, 3389]),
    acknowledgeCloudTerms: z.boolean().default(false),
  })
  .strict();

/**
 * How long a deploy waits for each VM's agent to activate. CloudFormation wait conditions allow at
 * most 12 hours (720 minutes); the boot script's own budget is derived from it (lib/agent/settings.ts).
 */
const activationTimeoutMinutes = z.number().int().min(5).max(720).default(20);

const vmCount = z.number().int().min(0, 'must be 0 or more').max(20, 'must be at most 20 per VM entry').default(1);

const awsVmSchema = z
  .object({
    name: z.string().regex(VM_NAME, 'must match [a-z][a-z0-9-]*, at most 30 characters'),
    os: z.enum(AWS_OS),
    arch: z.enum(ARCHES).default('x86_64'),
    instanceType: z.string().regex(AWS_INSTANCE_TYPE, 'must be an EC2 instance type like t3.medium').superRefine(cloud.ec2InstanceTypeTypo).optional(),
    count: vmCount,
    policy: vmPolicySchema.optional(),
  })
  .strict();

const gcpVmSchema = z
  .object({
    name: z.string().regex(VM_NAME, 'must match [a-z][a-z0-9-]*, at most 30 characters'),
    os: z.enum(GCP_OS),
    machineType: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'must be a Compute Engine machine type like e2-medium')
      .superRefine(cloud.gcpMachineTypeTypo)
      .default('e2-medium'),
    count: vmCount,
    policy: vmPolicySchema.optional(),
  })
  .strict();

const awsSchema = z
  .object({
    region: cloud.awsRegion,
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
    vpcCidr: z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR like 10.60.0.0/16').superRefine(cloud.networkRange(AWS_VPC_PREFIX)).default('10.60.0.0/16'),
    activationTimeoutMinutes: activationTimeoutMinutes,
    vms: z.array(awsVmSchema).default([]),
  })
  .strict();

const gcpSchema = z
  .object({
    project: z.string().regex(GCP_PROJECT, 'must be a GCP project id (6-30 chars, [a-z][a-z0-9-]*)'),
    region: cloud.gcpRegion,
    zone: cloud.gcpZone,
    /** GCS bucket for the Terraform state; local state when absent. */
    stateBucket: z.string().regex(GCS_BUCKET, 'must be a GCS bucket name').optional(),
    subnetCidr: z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR like 10.61.0.0/24').superRefine(cloud.networkRange(GCP_SUBNET_PREFIX)).default('10.61.0.0/24'),
    activationTimeoutMinutes: activationTimeoutMinutes,
    vms: z.array(gcpVmSchema).default([]),
  })
  .strict();

// Values that become tags and labels must be ones both clouds accept, or the deploy fails half-way.
// AWS tag values: IAM (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html) and Firehose
// enforce this pattern and 256 characters. GCP label values: lower-case letters, digits, _ and -, at
// most 63 characters (https://cloud.google.com/compute/docs/labeling-resources); dskit lowers the value
// and maps the rest (lib/gcp/labels.ts), so only the length can still fail, and it must not be cut.
// `name` and the VM names are tags and labels too; their own patterns are narrower than both.
const AWS_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const tagValue = z
  .string()
  .min(1)
  .max(256, 'becomes the AWS tag `owner`: at most 256 characters')
  .regex(AWS_TAG_VALUE, 'becomes the AWS tag `owner`: only letters, digits, spaces and _ . : / = + - @ (IAM and Firehose refuse anything else)')
  .refine(
    (v) => gcpLabelForm(v).length <= GCP_LABEL_MAX,
    (v) => ({
      message: `becomes the GCP label \`owner\` "${gcpLabelForm(v).slice(0, GCP_LABEL_MAX)}...", ${gcpLabelForm(v).length} characters; GCP allows ${GCP_LABEL_MAX} (an @ counts as "_at_")`,
    }),
  );

export const sandboxSchema = z
  .object({
    name: z.string().regex(SANDBOX_NAME, 'must be 2-20 characters, [a-z][a-z0-9-]*'),
    owner: tagValue,
    expiresAfterHours: z.number().int().min(0).max(24 * 365).default(24),
    manager: managerSchema,
    policy: policySchema,
    events: eventsSchema.default({}),
    exposure: exposureSchema.default({}),
    aws: awsSchema.optional(),
    gcp: gcpSchema.optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const issue of crossFieldIssues(cfg)) ctx.addIssue({ code: z.ZodIssueCode.custom, ...issue });
  });

export type SandboxInput = z.input<typeof sandboxSchema>;
type ParsedSandbox = z.output<typeof sandboxSchema>;
export type PolicyConfig = z.output<typeof policySchema>;
export type VmPolicyConfig = z.output<typeof vmPolicySchema>;
export type ManagerConfig = z.output<typeof managerSchema>;
/** A manager whose agents activate with a token: workload-security and dsm. */
export type ClassicManagerConfig = Exclude<ManagerConfig, { type: 'vision-one' }>;
export type VisionOneManagerConfig = Extract<ManagerConfig, { type: 'vision-one' }>;
export type InstallersConfig = VisionOneManagerConfig['installers'];
export type AwsConfig = NonNullable<ParsedSandbox['aws']>;
export type GcpConfig = NonNullable<ParsedSandbox['gcp']>;
export type AwsVmConfig = AwsConfig['vms'][number] & { instanceType: string };
export type GcpVmConfig = GcpConfig['vms'][number];
export type VmConfig = AwsVmConfig | GcpVmConfig;
export type EventsConfig = ParsedSandbox['events'];
export type ExposureConfig = ParsedSandbox['exposure'];

/** The validated config, with every default applied. */
export interface SandboxConfig extends Omit<ParsedSandbox, 'aws'> {
  readonly aws?: Omit<AwsConfig, 'vms'> & { vms: AwsVmConfig[] };
}
