/**
 * Checks that span several keys. They run on the raw YAML object, tolerating any part that is
 * malformed (that part has its own error), so that one run reports every problem: zod skips an
 * object's refinements as soon as one of its fields has a type or enum error.
 */
import { installerIssues } from './installers';
import { cloudSegmentIn } from './names';
import { cloudCrossFieldIssues } from './cloud-checks';
export interface CrossFieldIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Compute Engine stops or deletes a VM at most 120 days after it starts: the longest time limit
 * `scheduling.max_run_duration` takes (https://cloud.google.com/compute/docs/instances/limit-vm-runtime,
 * Restrictions: "from 30 seconds to 120 days").
 */
export const GCP_MAX_RUN_HOURS = 120 * 24;

// Graviton families carry a `g` right after the generation digit: t4g, m7g, c7gn, r8gd, im4gn.
const GRAVITON_INSTANCE = /^[a-z]+\d+g[a-z]*\.[a-z0-9]+$/;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const objectsOf = (v: unknown): [Raw, number][] => (Array.isArray(v) ? v.map((x, i) => [x, i] as [unknown, number]).filter((e): e is [Raw, number] => isObject(e[0])) : []);

/** A sandbox or VM name with an `aws`/`gcp` segment would make display names ambiguous (names.ts). */
function cloudSegmentIssue(path: (string | number)[], name: unknown, what: string): CrossFieldIssue[] {
  if (typeof name !== 'string') return [];
  const segment = cloudSegmentIn(name);
  if (!segment) return [];
  return [
    {
      path,
      message:
        `a ${what} name may not have an \`aws\` or \`gcp\` segment (this has \`${segment}\`): display names ` +
        '<sandbox>-<cloud>-<vm>-<n> would be ambiguous between sandboxes; pick a name without one',
    },
  ];
}

function duplicateNames(cloud: 'aws' | 'gcp', section: Raw): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const seen = new Map<string, number>();
  for (const [vm, i] of objectsOf(section.vms)) {
    issues.push(...cloudSegmentIssue([cloud, 'vms', i, 'name'], vm.name, 'VM'));
    if (typeof vm.name !== 'string') continue;
    const first = seen.get(vm.name);
    if (first !== undefined) {
      issues.push({
        path: [cloud, 'vms', i, 'name'],
        message: `duplicate VM name; ${cloud}.vms[${first}] already uses it (names must be unique per cloud)`,
      });
    } else seen.set(vm.name, i);
  }
  return issues;
}

function awsVmIssues(aws: Raw): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  for (const [vm, i] of objectsOf(aws.vms)) {
    const arch = vm.arch ?? 'x86_64';
    if (arch === 'arm64' && vm.os === 'windows-2022') {
      issues.push({ path: ['aws', 'vms', i, 'arch'], message: 'arm64 is not available with windows-2022; use x86_64' });
    }
    if (typeof vm.instanceType !== 'string') continue;
    const graviton = GRAVITON_INSTANCE.test(vm.instanceType);
    if (arch === 'arm64' && !graviton) {
      issues.push({ path: ['aws', 'vms', i, 'instanceType'], message: 'arm64 needs a Graviton instance type (t4g, m7g, c7g, ...)' });
    } else if (arch === 'x86_64' && graviton) {
      issues.push({
        path: ['aws', 'vms', i, 'instanceType'],
        message: 'is a Graviton (arm64) instance type; set arch: arm64 or pick an x86_64 type (t3, m7i, ...)',
      });
    }
  }
  return issues;
}

export function crossFieldIssues(raw: unknown): CrossFieldIssue[] {
  if (!isObject(raw)) return [];
  const issues: CrossFieldIssue[] = [...cloudSegmentIssue(['name'], raw.name, 'sandbox')];
  const exposure = isObject(raw.exposure) ? raw.exposure : {};
  if (exposure.mode === 'honeypot' && exposure.acknowledgeCloudTerms !== true) {
    issues.push({
      path: ['exposure', 'acknowledgeCloudTerms'],
      message: 'honeypot mode exposes VMs to the internet; set exposure.acknowledgeCloudTerms: true to confirm the cloud provider terms allow it',
    });
  }
  if (isObject(raw.aws)) issues.push(...duplicateNames('aws', raw.aws), ...awsVmIssues(raw.aws));
  if (isObject(raw.gcp)) {
    const { region, zone } = raw.gcp;
    issues.push(...duplicateNames('gcp', raw.gcp));
    if (typeof raw.expiresAfterHours === 'number' && raw.expiresAfterHours > GCP_MAX_RUN_HOURS) {
      issues.push({
        path: ['expiresAfterHours'],
        message: `allowed with a gcp: section: 0 (never) to ${GCP_MAX_RUN_HOURS} (120 days, Compute Engine's longest max_run_duration)`,
      });
    }
    if (typeof region === 'string' && typeof zone === 'string' && !zone.startsWith(`${region}-`)) {
      issues.push({ path: ['gcp', 'zone'], message: `must be a zone of gcp.region ${region} (e.g. ${region}-a)` });
    }
  }
  issues.push(...cloudCrossFieldIssues(raw));
  issues.push(...installerIssues(raw));
  if (raw.aws === undefined && raw.gcp === undefined) {
    issues.push({ path: [], message: 'configure at least one cloud: an `aws:` or `gcp:` section' });
  }
  return issues;
}
