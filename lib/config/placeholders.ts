/**
 * Placeholder values of the bundled example. Synth accepts them (so `npm run synth` works
 * without an account); `dskit preflight` and deploys refuse them.
 */
import type { SandboxConfig } from './schema';

export interface PlaceholderProblem {
  readonly path: string;
  readonly value: string;
  readonly fix: string;
}

const ZERO_GUID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const EXAMPLE_HOST = /(^|\.)example\.(com|org|net)$/i;

export function placeholderProblems(config: SandboxConfig): PlaceholderProblem[] {
  const out: PlaceholderProblem[] = [];
  const m = config.manager;
  if (m.type !== 'vision-one' && m.tenantId && ZERO_GUID.test(m.tenantId)) {
    out.push({ path: 'manager.tenantId', value: m.tenantId, fix: 'set your tenant GUID (Administration > User Management > API Keys, or the deployment script)' });
  }
  if (m.type === 'workload-security' && m.tenantNumericId === 0) {
    out.push({ path: 'manager.tenantNumericId', value: '0', fix: 'set the numeric tenant id shown in the deployment script (?tenantID=...)' });
  }
  if (m.type === 'dsm') {
    for (const [key, url] of [['manager.url', m.url], ['manager.activationUrl', m.activationUrl]] as const) {
      const host = url.replace(/^[a-z]+:\/\//, '').split(/[:/]/)[0];
      if (EXAMPLE_HOST.test(host)) out.push({ path: key, value: url, fix: 'set your manager host name' });
    }
  }
  if (config.gcp && config.gcp.project === 'my-project') {
    out.push({ path: 'gcp.project', value: config.gcp.project, fix: 'set your GCP project id' });
  }
  return out;
}

export function formatPlaceholderProblems(file: string, problems: readonly PlaceholderProblem[]): string[] {
  return problems.map((p) => `${file}: ${p.path}: ${JSON.stringify(p.value)} is a placeholder; ${p.fix}`);
}
