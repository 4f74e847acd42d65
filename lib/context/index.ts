/**
 * `dskit.context.json`: what dskit learned from or changed in the manager, kept beside the
 * project like `cdk.context.json`. Policy names resolve to ids here (so synth needs no API
 * call), and `policy ensure` records what it created so `teardown` can undo exactly that.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PolicyConfig } from '../config';

export const CONTEXT_FILE = 'dskit.context.json';

/** Something dskit created or changed in the manager, to be undone by teardown. */
export interface ManagerChange {
  readonly kind: string;
  readonly id: number;
  readonly name?: string;
  /** What to restore on undo, when the change modified something that existed before. */
  readonly previous?: unknown;
  readonly at: string;
}

export interface DskitContext {
  /** Policy name → id, per sandbox. */
  policyIds?: Record<string, number>;
  /** Manager changes per sandbox name. */
  changes?: Record<string, ManagerChange[]>;
  [key: string]: unknown;
}

export function contextPath(dir: string = process.cwd()): string {
  return path.join(dir, CONTEXT_FILE);
}

export function readContext(dir?: string): DskitContext {
  const file = contextPath(dir);
  if (!fs.existsSync(file)) return {};
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DskitContext;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message}); fix or delete it and run dskit policy resolve`);
  }
}

export function writeContext(ctx: DskitContext, dir?: string): void {
  const file = contextPath(dir);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(ctx, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** The id cached for a policy name (by `policy resolve` or `policy ensure`), if any. */
export function cachedPolicyId(name: string, dir?: string): number | undefined {
  return readContext(dir).policyIds?.[name];
}

/** The numeric policy id a VM activates with: `id` as given, or `name` resolved from the context file. */
export function policyIdOf(policy: PolicyConfig, dir?: string): number {
  if (policy.id !== undefined) return policy.id;
  const id = cachedPolicyId(policy.name!, dir);
  if (id === undefined) {
    throw new Error(
      `policy "${policy.name}" has no cached id in ${contextPath(dir)}; run \`npx dskit policy resolve\` (needs the API key) or give policy.id`,
    );
  }
  return id;
}

/** Remember `name → id` so synth and boot scripts need no API call. */
export function cachePolicyId(name: string, id: number, dir?: string): void {
  const ctx = readContext(dir);
  writeContext({ ...ctx, policyIds: { ...ctx.policyIds, [name]: id } }, dir);
}

/** What dskit changed in the manager for this sandbox, oldest first. */
export function changesOf(sandbox: string, dir?: string): ManagerChange[] {
  return [...(readContext(dir).changes?.[sandbox] ?? [])];
}

/** Append a change so teardown can undo it. Written at once: a crash right after still leaves the record. */
export function recordChange(sandbox: string, change: ManagerChange, dir?: string): void {
  const ctx = readContext(dir);
  const changes = { ...ctx.changes, [sandbox]: [...(ctx.changes?.[sandbox] ?? []), change] };
  writeContext({ ...ctx, changes }, dir);
}

/** Drop a change once undone (matched on kind and id). */
export function forgetChange(sandbox: string, change: Pick<ManagerChange, 'kind' | 'id'>, dir?: string): void {
  const ctx = readContext(dir);
  const remaining = (ctx.changes?.[sandbox] ?? []).filter((c) => !(c.kind === change.kind && c.id === change.id));
  const changes = { ...ctx.changes };
  if (remaining.length > 0) changes[sandbox] = remaining;
  else delete changes[sandbox];
  writeContext({ ...ctx, changes }, dir);
}

/** Forget a cached policy id (teardown deletes the policy it named). */
export function forgetPolicyId(name: string, dir?: string): void {
  const ctx = readContext(dir);
  if (!ctx.policyIds || !(name in ctx.policyIds)) return;
  const policyIds = { ...ctx.policyIds };
  delete policyIds[name];
  writeContext({ ...ctx, policyIds }, dir);
}
