/**
 * cdk.context.json, where the CDK CLI pins its lookups (the sandbox's images, the region's zones).
 * No aws-cdk-lib here: the CLI reads it too (dskit preflight) and must start fast.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What `cdk` keeps its lookups in, next to cdk.json. */
export const CDK_CONTEXT_FILE = 'cdk.context.json';

/** The lookups pinned in `<dir>/cdk.context.json` ({} when there is none); a broken file is an error that names it. */
export function readPinnedLookups(dir: string): Record<string, unknown> {
  const file = path.join(dir, CDK_CONTEXT_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message}); fix it or delete it to look the images up again`);
  }
}
