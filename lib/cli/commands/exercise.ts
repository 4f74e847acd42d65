/**
 * `dskit exercise [--cloud C] [--vm NAME] [--modules am,wrs,ips,im,li,fw] [--wait 15m]` (issue 17):
 * trigger each protection module's documented, benign test event on every VM, wait until it shows
 * up in the sandbox's sink (Athena on AWS, BigQuery on GCP), and print a matrix VM × module with
 * latency, or the likeliest reason an event is missing. Exit 0 when every expected event arrived,
 * 1 when one is missing or a trigger failed at the deadline, 2 for bad usage.
 *
 * Which modules are expected: without --modules, those the manager has on for the VM (the others
 * are shown as off, with what to turn on); with --modules, exactly those, on or not.
 */
import { expectedComputers, type Cloud } from '../../config';
import { platformOf } from '../../agent';
import { parseModules, TRIGGERS, type ModuleKey, type Platform } from '../../exercise/catalogue';
import { ruleDirectory, sandboxComputerFacts } from '../../exercise/manager';
import { newRunId } from '../../exercise/protocol';
import { readinessOf } from '../../exercise/readiness';
import { ExerciseError, runExercise, type Cell, type EventSink, type ExerciseResult, type Row, type TriggerChannel } from '../../exercise/run';
import type { CommandContext } from '../context';
import { EXIT_OK, EXIT_PROBLEM, OperationError, UsageError } from '../errors';
import type { CommandRun } from '../program';
import { problem } from '../output';
import { formatDuration, managerClient, managerCommand, parseDuration, table } from './manager-session';

export const DEFAULT_WAIT = '15m';

interface Options {
  readonly cloud?: string;
  readonly vm?: string;
  readonly modules?: string;
  readonly wait?: string;
}

function selectTargets(ctx: CommandContext, clouds: readonly Cloud[], vm: string | undefined) {
  const all = expectedComputers(ctx.config, clouds);
  if (vm === undefined) return all;
  const chosen = all.filter((e) => e.vm.name === vm || e.displayName === vm);
  if (chosen.length === 0) {
    const names = [...new Set(all.map((e) => e.vm.name))];
    throw new UsageError(`--vm: got "${vm}"; allowed: a VM name under ${clouds.map((c) => `${c}.vms`).join(' or ')} (${names.join(', ') || 'none'}) or a display name like ${all[0]?.displayName ?? `${ctx.config.name}-aws-web-1`}`);
  }
  return chosen;
}

const MODULE_HEADER: Record<ModuleKey, string> = { am: 'AM', wrs: 'WRS', ips: 'IPS', im: 'IM', li: 'LI', fw: 'FW' };

function cellText(c: Cell | undefined): string {
  if (!c) return '-';
  switch (c.state) {
    case 'seen':
      return `seen ${formatDuration(c.latencyMs ?? 0).replace(/ /g, '')}`;
    case 'trigger-failed':
      return 'trigger failed';
    default:
      return c.state;
  }
}

function toJson(ctx: CommandContext, result: ExerciseResult, waitMs: number, sinks: readonly EventSink[]) {
  const iso = (ms?: number) => (ms === undefined ? null : new Date(ms).toISOString());
  // The envelope (--json) carries ok and exitCode; this is its data.
  return {
    run: result.run,
    sandbox: ctx.config.name,
    startedAt: iso(result.startedAt),
    finishedAt: iso(result.finishedAt),
    waitSeconds: Math.round(waitMs / 1000),
    sinks: sinks.map((s) => ({ cloud: s.cloud, name: s.name })),
    vms: result.rows.map(({ target, cells }) => ({
      displayName: target.displayName,
      cloud: target.cloud,
      vm: target.vm,
      index: target.index,
      platform: target.platform,
      computerId: target.computer?.id ?? null,
      modules: Object.fromEntries(
        cells.map((c) => [
          c.module,
          {
            module: TRIGGERS[c.module].module,
            state: c.state,
            expected: c.expected,
            triggeredAt: iso(c.triggeredAt),
            seenAt: iso(c.seenAt),
            latencySeconds: c.latencyMs === undefined ? null : Math.round(c.latencyMs / 1000),
            trigger: c.triggerDetail ?? null,
            reason: c.reason ?? null,
            needs: c.readiness.needs,
            notes: c.readiness.notes,
          },
        ]),
      ),
    })),
    sinkErrors: result.sinkErrors,
    warnings: result.warnings,
  };
}

function human(result: ExerciseResult, modules: readonly ModuleKey[]): string[] {
  const lines = table(
    ['VM', ...modules.map((m) => MODULE_HEADER[m])],
    result.rows.map(({ target, cells }) => [target.displayName, ...modules.map((m) => cellText(cells.find((c) => c.module === m)))]),
  );
  const details: string[] = [];
  for (const { target, cells } of result.rows) {
    for (const c of cells) {
      const what = `${target.displayName} ${TRIGGERS[c.module].title}`;
      if (c.state === 'missing') details.push(`  ${what}: missing: ${c.reason}`);
      else if (c.state === 'trigger-failed') details.push(`  ${what}: trigger failed: ${c.reason}`);
      else if (c.state === 'off') details.push(`  ${what}: off, not exercised: ${c.reason}`);
      else if (c.state === 'seen' && c.readiness.needs.length) details.push(`  ${what}: seen, though the manager lacks: ${c.readiness.needs.join('; ')}`);
    }
  }
  const counts = { seen: 0, missing: 0, failed: 0, expected: 0 };
  for (const r of result.rows) {
    for (const c of r.cells) {
      if (!c.expected) continue;
      counts.expected += 1;
      if (c.state === 'seen') counts.seen += 1;
      if (c.state === 'missing') counts.missing += 1;
      if (c.state === 'trigger-failed') counts.failed += 1;
    }
  }
  const took = formatDuration(result.finishedAt - result.startedAt);
  const summary = result.ok
    ? `exercise ${result.run}: all ${counts.expected} expected events seen in ${took}`
    : `exercise ${result.run}: ${counts.seen} of ${counts.expected} expected events seen in ${took}; ${counts.missing} missing, ${counts.failed} trigger${counts.failed === 1 ? '' : 's'} failed (see above)`;
  return [...lines, ...(details.length ? ['', ...details] : []), ...result.warnings.map((w) => `warning: ${w}`), summary];
}

export const run: CommandRun<Options> = managerCommand(async (ctx, opts) => {
  const clouds = ctx.clouds(opts.cloud);
  let modules: ModuleKey[];
  try {
    modules = parseModules(opts.modules);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const waitMs = parseDuration('--wait', opts.wait ?? DEFAULT_WAIT);
  if (waitMs < 10_000) throw new UsageError(`--wait: got "${opts.wait}"; allowed: 10s or more (events take at least seconds to reach a sink)`);
  const targets = selectTargets(ctx, clouds, opts.vm);
  if (targets.length === 0) throw new UsageError(`${ctx.loadedConfig.file} has no VMs under ${clouds.map((c) => `${c}.vms`).join(' or ') || 'aws.vms or gcp.vms'} to exercise`);

  const client = managerClient(ctx);
  const computers = await sandboxComputerFacts(client, ctx.config.name, clouds, expectedComputers(ctx.config, clouds).map((e) => e.displayName), ctx.config.manager.type);
  const platforms = [...new Set(targets.map((t) => platformOf(t.vm)))] as Platform[];
  const rules = await ruleDirectory(client, modules, platforms, computers.values());
  const explicit = opts.modules !== undefined;
  const rows: Row[] = targets.map((t) => {
    const platform = platformOf(t.vm) as Platform;
    const computer = computers.get(t.displayName);
    return {
      target: { cloud: t.cloud, vm: t.vm.name, index: t.index, displayName: t.displayName, platform, computer },
      cells: modules.map((module) => {
        const readiness = readinessOf(module, platform, computer, rules, ctx.config.events.syslogConfigId);
        const expected = explicit || !readiness.off;
        return { module, readiness, expected, state: expected ? 'pending' : 'off' } satisfies Cell;
      }),
    };
  });
  if (!rows.some((r) => r.cells.some((c) => c.expected))) {
    const needs = [...new Set(rows.flatMap((r) => r.cells.flatMap((c) => c.readiness.needs)))];
    throw new OperationError(`nothing to exercise: every chosen module is off on every chosen VM; turn on what you want tested (${needs.slice(0, 3).join('; ')}), or name modules with --modules`);
  }

  const channels: TriggerChannel[] = [];
  const sinks: EventSink[] = [];
  for (const cloud of [...new Set(rows.filter((r) => r.cells.some((c) => c.expected)).map((r) => r.target.cloud))]) {
    const side =
      cloud === 'aws'
        ? (require('../../exercise/aws') as typeof import('../../exercise/aws')).awsExercise(ctx.config)
        : (require('../../exercise/gcp') as typeof import('../../exercise/gcp')).gcpExercise(ctx.config, ctx.env);
    channels.push(side.channel);
    sinks.push(side.sink);
  }

  const runId = newRunId(new Date());
  const expectedCount = rows.reduce((n, r) => n + r.cells.filter((c) => c.expected).length, 0);
  ctx.io.err(`exercise ${runId}: ${rows.length} VM${rows.length === 1 ? '' : 's'}, ${expectedCount} expected event${expectedCount === 1 ? '' : 's'} (${modules.join(',')}); waiting up to ${formatDuration(waitMs)}`);
  const needs = new Set(rows.flatMap((r) => r.cells.filter((c) => c.expected).flatMap((c) => c.readiness.needs)));
  for (const n of needs) {
    ctx.io.err(`exercise: the manager lacks: ${n}`);
    ctx.problem(problem('warning', `the manager lacks: ${n}`));
  }

  let result: ExerciseResult;
  try {
    result = await runExercise(
      { run: runId, rows, waitMs, channels, sinks },
      { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), progress: (line) => ctx.io.err(line) },
    );
  } catch (err) {
    if (err instanceof ExerciseError) throw new OperationError(`${err.message}; nothing was triggered`);
    throw err;
  }
  // Each expected event that did not arrive, or whose trigger failed, is a problem of its own.
  for (const { target, cells } of result.rows) {
    for (const c of cells) {
      const what = `${target.displayName} ${TRIGGERS[c.module].title}`;
      if (c.state === 'missing') ctx.problem(problem('error', `${what}: missing: ${c.reason}`));
      else if (c.state === 'trigger-failed') ctx.problem(problem('error', `${what}: trigger failed: ${c.reason}`));
    }
  }
  for (const w of result.warnings) ctx.problem(problem('warning', w));
  for (const [cloud, e] of Object.entries(result.sinkErrors)) if (e) ctx.problem(problem('error', `${cloud} event sink: ${e}`));
  ctx.emit(toJson(ctx, result, waitMs, sinks), () => human(result, modules));
  return result.ok ? EXIT_OK : EXIT_PROBLEM;
});
