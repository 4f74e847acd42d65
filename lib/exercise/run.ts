/**
 * One exercise, cloud-neutral: count the matching events already in each sink (the baseline),
 * send the triggers, then poll the VMs' answers and the sinks until every expected event has
 * arrived or the time is up. A cell is seen when its count in the sink rises above the baseline,
 * so an event counts however coarse the sink's event time is, and an earlier run's events never
 * count. The cloud parts (lib/exercise/aws.ts, gcp.ts) plug in as TriggerChannel and EventSink.
 */
import { formatDuration } from '../cli/commands/manager-session';
import type { Cloud } from '../config';
import type { EventModule } from '../events';
import { TRIGGERS, type ExpectedEvent, type ModuleKey, type Platform } from './catalogue';
import type { TriggerResult } from './protocol';
import type { EventCount, EventWindow } from './query';
import type { ComputerFacts, Readiness } from './readiness';

export type CellState = 'off' | 'pending' | 'triggered' | 'trigger-failed' | 'seen' | 'missing';

export interface Target {
  readonly cloud: Cloud;
  readonly vm: string;
  readonly index: number;
  readonly displayName: string;
  readonly platform: Platform;
  /** The manager's computer of this VM; absent when it has none. */
  readonly computer?: ComputerFacts;
}

export interface Cell {
  readonly module: ModuleKey;
  state: CellState;
  /** Triggered and counted in the outcome (the module is on, or was asked for by name). */
  readonly expected: boolean;
  readonly readiness: Readiness;
  /** When the VM ran the trigger (ms). */
  triggeredAt?: number;
  /** What the trigger said it did, or why it failed. */
  triggerDetail?: string;
  /** When dskit first saw the event in the sink (ms). */
  seenAt?: number;
  /** From the trigger (or, if the VM's answer came later, from sending it) to seeing the event. */
  latencyMs?: number;
  /** Why an event is missing or a trigger failed, or what turns an `off` module on. */
  reason?: string;
}

export interface Row {
  readonly target: Target;
  readonly cells: Cell[];
}

export interface TriggerRequest {
  readonly target: Target;
  readonly modules: readonly ModuleKey[];
}

export type TriggerAnswer =
  | { readonly displayName: string; readonly kind: 'result'; readonly result: TriggerResult }
  /** The whole request failed on this VM (not delivered, no watcher, command failed). */
  | { readonly displayName: string; readonly kind: 'failed'; readonly reason: string }
  /** Still on its way: the last word, kept for the reason if the VM never answers. */
  | { readonly displayName: string; readonly kind: 'progress'; readonly detail: string };

export interface TriggerChannel {
  readonly cloud: Cloud;
  /** Sends the requests; a VM that cannot be reached answers `failed` at the next poll. */
  start(run: string, requests: readonly TriggerRequest[], deadline: number): Promise<void>;
  /** The VMs' answers since the last poll. */
  poll(): Promise<TriggerAnswer[]>;
  /** Undoes what start left behind; returns warnings, never throws. */
  finish(): Promise<string[]>;
}

export interface EventSink {
  readonly cloud: Cloud;
  /** `Athena workgroup dskit-ds-eval`. */
  readonly name: string;
  /** The path an event takes to the sink, for the reasons. */
  readonly pipeline: string;
  count(window: EventWindow): Promise<EventCount[]>;
}

export interface ExerciseIo {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A progress line (stderr). */
  progress(line: string): void;
}

export interface ExercisePlan {
  readonly run: string;
  readonly rows: readonly Row[];
  readonly waitMs: number;
  /** @default intervalFor(waitMs) */
  readonly intervalMs?: number;
  readonly channels: readonly TriggerChannel[];
  readonly sinks: readonly EventSink[];
}

export interface ExerciseResult {
  /** Every expected event seen. */
  readonly ok: boolean;
  readonly run: string;
  readonly rows: readonly Row[];
  readonly startedAt: number;
  readonly finishedAt: number;
  /** The last sink error per cloud, if its last query failed. */
  readonly sinkErrors: Readonly<Partial<Record<Cloud, string>>>;
  readonly warnings: readonly string[];
}

/** A sink can't be queried at all (before any trigger was sent): one line, and what to do. */
export class ExerciseError extends Error {
  override name = 'ExerciseError';
}

/** Queries cost (Athena bills at least 10 MB each): poll often enough to show latency, no more. */
export function intervalFor(waitMs: number): number {
  return Math.min(20_000, Math.max(1_000, Math.round(waitMs / 40)));
}

/** Five minutes of clock skew, then back to the hour: a sink whose event time is the hour still counts. */
export function windowStart(startedAt: number): Date {
  const t = new Date(startedAt - 5 * 60_000);
  t.setUTCMinutes(0, 0, 0);
  return t;
}

export function matchesTarget(target: Target, row: EventCount): boolean {
  if (target.computer && row.hostId === target.computer.id) return true;
  return row.host !== null && hostNamesOf(target).includes(row.host);
}

export function hostNamesOf(target: Target): string[] {
  return [...new Set([target.displayName, ...(target.computer?.hostName ? [target.computer.hostName] : [])])];
}

export function matchesEvent(expected: ExpectedEvent, row: EventCount): boolean {
  if (row.module !== expected.module) return false;
  if (expected.signatureIds && (row.signatureId === null || !expected.signatureIds.includes(row.signatureId))) return false;
  if (expected.dpt !== undefined && row.dpt !== expected.dpt) return false;
  if (expected.act && !(row.act !== null && expected.act.test(row.act))) return false;
  return true;
}

function countFor(target: Target, module: ModuleKey, rows: readonly EventCount[]): number {
  const expected = TRIGGERS[module].expects[target.platform];
  return rows.filter((r) => matchesTarget(target, r) && matchesEvent(expected, r)).reduce((n, r) => n + r.events, 0);
}

const FINAL: readonly CellState[] = ['seen', 'trigger-failed', 'missing', 'off'];

function tally(rows: readonly Row[]): Record<CellState, number> {
  const t: Record<CellState, number> = { off: 0, pending: 0, triggered: 0, 'trigger-failed': 0, seen: 0, missing: 0 };
  for (const r of rows) for (const c of r.cells) if (c.expected) t[c.state] += 1;
  return t;
}

function progressLine(rows: readonly Row[], nextMs: number, leftMs: number): string {
  const t = tally(rows);
  const total = t.pending + t.triggered + t['trigger-failed'] + t.seen + t.missing;
  const parts = [`${t.seen} of ${total} seen`];
  if (t.triggered) parts.push(`${t.triggered} triggered and waiting`);
  if (t.pending) parts.push(`${t.pending} not triggered yet`);
  if (t['trigger-failed']) parts.push(`${t['trigger-failed']} trigger${t['trigger-failed'] === 1 ? '' : 's'} failed`);
  return `exercise: ${parts.join(', ')}; checking again in ${formatDuration(nextMs)} (${formatDuration(leftMs)} left)`;
}

/** The window each cloud's sink is asked about: the expected modules of its VMs, their ids and names. */
function windowFor(run: string, since: Date, rows: readonly Row[]): EventWindow {
  const modules = new Set<EventModule>();
  const hostIds = new Set<number>();
  const hostNames = new Set<string>();
  for (const { target, cells } of rows) {
    const expected = cells.filter((c) => c.expected);
    if (expected.length === 0) continue;
    for (const c of expected) modules.add(TRIGGERS[c.module].module);
    if (target.computer) hostIds.add(target.computer.id);
    for (const n of hostNamesOf(target)) hostNames.add(n);
  }
  return { run, since, modules: [...modules], hostIds: [...hostIds], hostNames: [...hostNames] };
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

export async function runExercise(plan: ExercisePlan, io: ExerciseIo): Promise<ExerciseResult> {
  const startedAt = io.now();
  const deadline = startedAt + plan.waitMs;
  const interval = plan.intervalMs ?? intervalFor(plan.waitMs);
  const since = windowStart(startedAt);
  const clouds = [...new Set(plan.rows.map((r) => r.target.cloud))];
  const rowsOf = (cloud: Cloud) => plan.rows.filter((r) => r.target.cloud === cloud && r.cells.some((c) => c.expected));
  const windows = new Map(clouds.map((c) => [c, windowFor(plan.run, since, rowsOf(c))] as const));
  const activeSinks = plan.sinks.filter((s) => rowsOf(s.cloud).length > 0);
  const activeChannels = plan.channels.filter((ch) => rowsOf(ch.cloud).length > 0);
  const sinkErrors: Partial<Record<Cloud, string>> = {};
  const warnings: string[] = [];
  const lastWord = new Map<string, string>();
  const byName = new Map(plan.rows.map((r) => [r.target.displayName, r] as const));

  // The baseline: what each sink already holds. A sink that cannot be queried stops the run here,
  // before anything is triggered on a VM.
  const baseline = new Map<Cell, number>();
  for (const sink of activeSinks) {
    let counts: EventCount[];
    try {
      counts = await sink.count(windows.get(sink.cloud)!);
    } catch (err) {
      throw new ExerciseError(`cannot query ${sink.name}: ${oneLine((err as Error).message)}`);
    }
    for (const { target, cells } of rowsOf(sink.cloud)) for (const c of cells) if (c.expected) baseline.set(c, countFor(target, c.module, counts));
  }
  io.progress(`exercise ${plan.run}: baseline taken from ${activeSinks.map((s) => s.name).join(' and ') || 'no sink'}; sending the triggers`);

  let sentAt = io.now();

  const applyAnswer = (a: TriggerAnswer, now: number) => {
    const row = byName.get(a.displayName);
    if (!row) return;
    if (a.kind === 'progress') {
      lastWord.set(a.displayName, a.detail);
      return;
    }
    if (a.kind === 'failed') {
      for (const c of row.cells) {
        if (c.expected && c.state === 'pending') {
          c.state = 'trigger-failed';
          c.reason = a.reason;
        }
      }
      return;
    }
    const c = row.cells.find((x) => x.module === a.result.module && x.expected);
    if (!c || c.state === 'trigger-failed' || c.triggeredAt !== undefined) return;
    c.triggerDetail = a.result.detail;
    // The VM's clock may be off: never before the run started, never after dskit heard of it
    // (nor after the event, when the sink showed it before the VM's answer came back).
    c.triggeredAt = Math.min(now, c.seenAt ?? now, Math.max(startedAt, a.result.at));
    // The event is the proof: a cell already seen stays seen whatever the trigger said.
    if (c.state === 'seen') return;
    if (a.result.ok) c.state = 'triggered';
    else {
      c.state = 'trigger-failed';
      c.reason = a.result.detail || 'the trigger failed without saying why';
    }
  };

  try {
    // Inside the try: whatever a channel managed to send before a failure is cleaned up by finish.
    for (const channel of activeChannels) {
      const requests = rowsOf(channel.cloud).map((r) => ({ target: r.target, modules: r.cells.filter((c) => c.expected).map((c) => c.module) }));
      await channel.start(plan.run, requests, deadline);
    }
    sentAt = io.now();
    for (;;) {
      for (const channel of activeChannels) {
        try {
          for (const a of await channel.poll()) applyAnswer(a, io.now());
        } catch (err) {
          io.progress(`exercise: reading the ${channel.cloud.toUpperCase()} VMs' answers failed: ${oneLine((err as Error).message)}; trying again`);
        }
      }
      for (const sink of activeSinks) {
        try {
          const counts = await sink.count(windows.get(sink.cloud)!);
          delete sinkErrors[sink.cloud];
          const now = io.now();
          for (const { target, cells } of rowsOf(sink.cloud)) {
            for (const c of cells) {
              if (!c.expected || c.state === 'seen') continue;
              if (countFor(target, c.module, counts) > (baseline.get(c) ?? 0)) {
                c.state = 'seen';
                c.seenAt = now;
                c.reason = undefined;
              }
            }
          }
        } catch (err) {
          sinkErrors[sink.cloud] = oneLine((err as Error).message);
          io.progress(`exercise: querying ${sink.name} failed: ${sinkErrors[sink.cloud]}; trying again`);
        }
      }
      const open = plan.rows.some((r) => r.cells.some((c) => c.expected && !FINAL.includes(c.state)));
      const left = deadline - io.now();
      if (!open || left <= 0) break;
      const pause = Math.min(interval, left);
      io.progress(progressLine(plan.rows, pause, left));
      await io.sleep(pause);
    }
  } finally {
    for (const channel of activeChannels) warnings.push(...(await channel.finish()));
  }

  const finishedAt = io.now();
  const waited = formatDuration(plan.waitMs);
  const anySeen = plan.rows.some((r) => r.cells.some((c) => c.state === 'seen'));
  for (const row of plan.rows) {
    const sink = plan.sinks.find((s) => s.cloud === row.target.cloud);
    for (const c of row.cells) {
      if (c.state === 'seen') c.latencyMs = Math.max(0, c.seenAt! - (c.triggeredAt ?? sentAt));
      if (!c.expected) {
        if (c.state !== 'off') c.state = 'off';
        c.reason ??= c.readiness.needs.join('; ') || `not asked for`;
        continue;
      }
      if (c.state === 'pending') {
        c.state = 'trigger-failed';
        const word = lastWord.get(row.target.displayName);
        c.reason = `the VM did not run the trigger within ${waited}${word ? ` (last: ${word})` : ''}`;
      } else if (c.state === 'triggered') {
        c.state = 'missing';
        c.reason = likeliestReason(row, c, { anySeen, sink, sinkError: sinkErrors[row.target.cloud], waited });
      }
    }
  }
  const ok = plan.rows.every((r) => r.cells.every((c) => !c.expected || c.state === 'seen'));
  return { ok, run: plan.run, rows: plan.rows, startedAt, finishedAt, sinkErrors, warnings };
}

interface ReasonContext {
  readonly anySeen: boolean;
  readonly sink?: EventSink;
  readonly sinkError?: string;
  readonly waited: string;
}

/** Why a triggered event did not arrive, most likely first. */
export function likeliestReason(row: Row, cell: Cell, ctx: ReasonContext): string {
  const { target } = row;
  const trigger = TRIGGERS[cell.module];
  const sinkName = ctx.sink?.name ?? 'the sink';
  if (!target.computer) return `no computer named ${target.displayName} in the manager: the agent is not activated (run \`dskit verify\`)`;
  const status = target.computer.agentStatus;
  if (status && status !== 'active') {
    const messages = target.computer.agentStatusMessages?.join('; ');
    return `the agent of ${target.displayName} is ${status} in the manager${messages ? ` (${messages})` : ''}: it cannot report events`;
  }
  if (cell.readiness.needs.length > 0) return cell.readiness.needs.join('; ');
  if (ctx.sinkError) return `could not query ${sinkName} at the end: ${ctx.sinkError}`;
  const note = cell.readiness.notes.length ? `; note: ${cell.readiness.notes.join('; ')}` : '';
  if (row.cells.some((c) => c.state === 'seen')) {
    return (
      `not detected: other events of ${target.displayName} reached ${sinkName}, so forwarding works, but no ${trigger.title} event ` +
      `(look for it under Events & Reports > ${trigger.title} Events in the console)${note}`
    );
  }
  if (ctx.anySeen) {
    return `pipeline lag or forwarding: events of other VMs arrived, none of ${target.displayName}'s within ${ctx.waited}; check its shipping (${ctx.sink?.pipeline ?? 'receiver and log agent'})${note}`;
  }
  return (
    `no event of any VM reached ${sinkName} within ${ctx.waited}: event forwarding or the pipeline (${ctx.sink?.pipeline ?? 'receiver and log agent'}) ` +
    `is not working, or it lags more than --wait${note}`
  );
}
