/**
 * `dskit.context.json`: what dskit learned from or changed in the manager, kept beside the
 * project like `cdk.context.json`. Policy names resolve to ids here (so synth needs no API
 * call), and `policy ensure` / `rules stage` record what they created so `teardown` can undo
 * exactly that.
 *
 * Several dskit processes may write it at once (a `rules stage` in one terminal, a `policy
 * ensure` in another). Every read-modify-write holds an inter-process lock (proper-lockfile:
 * an atomic `mkdir` of `dskit.context.json.lock`, with stale-lock recovery), and every write
 * goes to a temp file of its own, is fsynced and renamed over the file (write-file-atomic), so a
 * reader sees the old or the new file, never half of one. Every read is checked against a
 * schema: a damaged file is one line naming the file and the key, never a stack trace, and
 * never a wrong-typed value carried into a boot script.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/errors';
import type { PolicyConfig } from '../config';

export const CONTEXT_FILE = 'dskit.context.json';

/** A damaged or wrong-typed context file: one line naming the file and the key. Exit 2, like a bad config. */
export class ContextFileError extends ConfigError {
  constructor(file: string, problem: string) {
    super(file, [`${file}: ${problem}`]);
    this.name = 'ContextFileError';
  }
}

const positiveInt = z.number().int().min(1);

const changeSchema = z
  .object({
    kind: z.string().min(1),
    id: z.number().int(),
    name: z.string().optional(),
    /** What to restore on undo; its shape belongs to the change's kind. */
    previous: z.unknown().optional(),
    at: z.string(),
  })
  .passthrough();

const stagedRuleSchema = z
  .object({
    ruleId: positiveInt,
    identifier: z.string(),
    name: z.string().optional(),
    policyId: positiveInt,
    stagedAt: z.string(),
    promotedAt: z.string().optional(),
  })
  .passthrough();

/** Known keys are checked; keys a later dskit adds are kept as they are. */
const contextSchema = z
  .object({
    policyIds: z.record(positiveInt).optional(),
    changes: z.record(z.array(changeSchema)).optional(),
    ipsRollout: z.record(z.array(stagedRuleSchema)).optional(),
  })
  .passthrough();

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
  /** Policy name → id. */
  policyIds?: Record<string, number>;
  /** Manager changes per sandbox name. */
  changes?: Record<string, ManagerChange[]>;
  [key: string]: unknown;
}

export function contextPath(dir: string = process.cwd()): string {
  return path.join(dir, CONTEXT_FILE);
}

/** `changes["ds-eval"][2].id` */
function keyPath(parts: readonly (string | number)[]): string {
  let out = '';
  for (const p of parts) out += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? (out ? `.${p}` : p) : `[${JSON.stringify(p)}]`;
  return out || '(top level)';
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const FIX = 'fix or remove that entry (or delete the file: `dskit policy resolve` and `policy ensure` rebuild ids, but recorded manager changes are lost)';

/** Parses and checks the file's text; throws ContextFileError naming the first bad key. */
export function parseContext(text: string, file: string): DskitContext {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ContextFileError(file, `not valid JSON (${(err as Error).message}); ${FIX}`);
  }
  const result = contextSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    let value: unknown = raw;
    for (const p of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[p] : undefined;
    const what = issue.code === z.ZodIssueCode.invalid_type ? `expected ${issue.expected}` : issue.message;
    throw new ContextFileError(file, `${keyPath(issue.path)}: got ${value === undefined ? 'nothing' : show(value)}; ${what}; ${FIX}`);
  }
  return result.data as DskitContext;
}

export function readContext(dir?: string): DskitContext {
  const file = contextPath(dir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ContextFileError(file, `cannot read it: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseContext(text, file);
}

/** How long a writer waits for another to finish before giving up (each holds the lock for milliseconds). */
const LOCK_WAIT_MS = 15_000;
/** A lock not refreshed for this long belongs to a process that died; proper-lockfile then takes it over. */
const LOCK_STALE_MS = 10_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Holds the lock while `fn` runs. Synchronous, like every caller of this module: proper-lockfile's
 * lockSync does not retry, so the wait is here (short sleeps with jitter, bounded).
 */
function withLock<T>(file: string, fn: () => T): T {
  // Required on first write, not imported: read-only commands (verify, synth) never load them.
  const lockfile = require('proper-lockfile') as typeof import('proper-lockfile');
  const deadline = Date.now() + LOCK_WAIT_MS;
  let release: (() => void) | undefined;
  for (;;) {
    try {
      release = lockfile.lockSync(file, { realpath: false, stale: LOCK_STALE_MS });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ELOCKED') throw new ContextFileError(file, `cannot lock it (${code ?? String(err)}): is the directory writable?`);
      if (Date.now() > deadline) {
        throw new ContextFileError(file, `another dskit has held ${file}.lock for over ${LOCK_WAIT_MS / 1000} s; if none is running, remove that directory`);
      }
      sleepSync(10 + Math.floor(Math.random() * 30));
    }
  }
  try {
    return fn();
  } finally {
    release();
  }
}

function writeUnlocked(file: string, ctx: DskitContext): void {
  // A temp file per writer (name from pid and a counter), fsynced, then renamed over the file.
  const writeFileAtomic = require('write-file-atomic') as typeof import('write-file-atomic');
  writeFileAtomic.sync(file, `${JSON.stringify(ctx, null, 2)}\n`, { fsync: true });
}

/**
 * Read-modify-write under the lock: `change` gets the current content (validated) and returns the
 * new one. Returning the same object unchanged writes nothing.
 */
export function updateContext(change: (ctx: DskitContext) => DskitContext, dir?: string): DskitContext {
  const file = contextPath(dir);
  return withLock(file, () => {
    const before = readContext(dir);
    const after = change(before);
    if (after !== before) writeUnlocked(file, after);
    return after;
  });
}

/** Replaces the whole file (under the lock). Prefer updateContext, which cannot lose another writer's change. */
export function writeContext(ctx: DskitContext, dir?: string): void {
  const file = contextPath(dir);
  withLock(file, () => writeUnlocked(file, ctx));
}

/** The id cached for a policy name (by `policy resolve` or `policy ensure`), if any. */
export function cachedPolicyId(name: string, dir?: string): number | undefined {
  return readContext(dir).policyIds?.[name];
}

/**
 * The numeric policy id a VM activates with: `id` as given, or `name` resolved from the context
 * file; undefined when the name has no cached id (synth then blocks the deploy, lib/agent
 * deploy-blockers, and nothing asks the manager).
 */
export function knownPolicyId(policy: PolicyConfig, dir?: string): number | undefined {
  if (policy.id !== undefined) return policy.id;
  return cachedPolicyId(policy.name!, dir);
}

/** Remember `name → id` so synth and boot scripts need no API call. */
export function cachePolicyId(name: string, id: number, dir?: string): void {
  updateContext((ctx) => (ctx.policyIds?.[name] === id ? ctx : { ...ctx, policyIds: { ...ctx.policyIds, [name]: id } }), dir);
}

/** What dskit changed in the manager for this sandbox, oldest first. */
export function changesOf(sandbox: string, dir?: string): ManagerChange[] {
  return [...(readContext(dir).changes?.[sandbox] ?? [])];
}

/** Append a change so teardown can undo it. Written at once: a crash right after still leaves the record. */
export function recordChange(sandbox: string, change: ManagerChange, dir?: string): void {
  updateContext((ctx) => ({ ...ctx, changes: { ...ctx.changes, [sandbox]: [...(ctx.changes?.[sandbox] ?? []), change] } }), dir);
}

/** Drop a change once undone (matched on kind and id). */
export function forgetChange(sandbox: string, change: Pick<ManagerChange, 'kind' | 'id'>, dir?: string): void {
  updateContext((ctx) => {
    const recorded = ctx.changes?.[sandbox] ?? [];
    const remaining = recorded.filter((c) => !(c.kind === change.kind && c.id === change.id));
    if (remaining.length === recorded.length) return ctx;
    const changes = { ...ctx.changes };
    if (remaining.length > 0) changes[sandbox] = remaining;
    else delete changes[sandbox];
    return { ...ctx, changes };
  }, dir);
}

/** Forget a cached policy id (teardown deletes the policy it named). */
export function forgetPolicyId(name: string, dir?: string): void {
  updateContext((ctx) => {
    if (!ctx.policyIds || !(name in ctx.policyIds)) return ctx;
    const policyIds = { ...ctx.policyIds };
    delete policyIds[name];
    return { ...ctx, policyIds };
  }, dir);
}
