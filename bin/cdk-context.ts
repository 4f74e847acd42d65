/**
 * The CDK context of the AWS app when the CDK CLI does not run it (`dskit synth`, `npm run synth`,
 * the tests): cdk.json's feature flags and cdk.context.json's cached lookups, as the CLI passes
 * them. Without this, those runs would synthesize with no feature flags and no cached lookups, a
 * different template from the one `cdk deploy` deploys. Under the CLI its CDK_CONTEXT_JSON
 * (built from the same files) takes precedence over this.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CDK_CONTEXT_FILE, readPinnedLookups } from '../lib/aws/cdk-context';
import { PACKAGE_ROOT } from '../lib/config/load';

const readJson = (file: string): Record<string, unknown> | undefined =>
  fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;

/** cdk.json's `context`: the feature flags (docs/maintenance.md says why each is set). */
export function cdkJsonContext(): Record<string, unknown> {
  return (readJson(path.join(PACKAGE_ROOT, 'cdk.json'))?.context as Record<string, unknown>) ?? {};
}

/** Feature flags plus the lookups the CDK CLI cached in cdk.context.json (where it runs: the project root). */
export function localCdkContext(cwd = process.cwd()): Record<string, unknown> {
  const dir = fs.existsSync(path.join(cwd, CDK_CONTEXT_FILE)) ? cwd : PACKAGE_ROOT;
  return { ...readPinnedLookups(dir), ...cdkJsonContext() };
}
