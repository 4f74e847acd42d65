/**
 * Cross-key checks of what a cloud would refuse or what would expose the sandbox against the
 * user's intent, on the raw YAML object (see cross-field.ts for why raw).
 */
import type { CrossFieldIssue } from './cross-field';
import { isWholeInternet } from './cidr';
import { gcpMachineArch } from './machine-types';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function exposureIssues(exposure: Raw): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const mode = exposure.mode ?? 'private';
  // GCP refuses a firewall rule with no ports; AWS would accept a honeypot with nothing open.
  if (mode === 'honeypot' && Array.isArray(exposure.honeypotPorts) && exposure.honeypotPorts.length === 0) {
    issues.push({ path: ['exposure', 'honeypotPorts'], message: 'honeypot mode needs at least one port (e.g. [22, 1433, 3389]); or use mode: private' });
  }
  if (mode === 'private' && Array.isArray(exposure.adminCidrs)) {
    exposure.adminCidrs.forEach((cidr, i) => {
      if (typeof cidr === 'string' && isWholeInternet(cidr)) {
        issues.push({
          path: ['exposure', 'adminCidrs', i],
          message:
            'opens SSH/RDP to the whole internet, which private mode is meant to prevent; give your own range (e.g. 203.0.113.0/24), ' +
            'connect through SSM / IAP with none, or use mode: honeypot with acknowledgeCloudTerms: true',
        });
      }
    });
  }
  return issues;
}

/** dskit's GCP images are x86_64 (lib/gcp/images.ts): an Arm machine type would not boot them. */
function gcpArchIssues(gcp: Raw): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  if (!Array.isArray(gcp.vms)) return issues;
  gcp.vms.forEach((vm, i) => {
    if (!isObject(vm) || typeof vm.machineType !== 'string') return;
    if (gcpMachineArch(vm.machineType) === 'arm64') {
      issues.push({
        path: ['gcp', 'vms', i, 'machineType'],
        message: "is an Arm machine type; dskit's GCP images are x86_64, pick an x86 type (e2, n2, n2d, t2d, c3, ...)",
      });
    }
  });
  return issues;
}

export function cloudCrossFieldIssues(raw: Raw): CrossFieldIssue[] {
  return [
    ...(isObject(raw.exposure) ? exposureIssues(raw.exposure) : []),
    ...(isObject(raw.gcp) ? gcpArchIssues(raw.gcp) : []),
  ];
}
