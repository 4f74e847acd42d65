/**
 * `dskit teardown [--cloud C] [--yes] [--manager-only]`, in this order:
 *   1. destroy the stacks (the VMs go, their agents stop);
 *   2. delete every computer of the sandbox from the manager (`<sandbox>-<cloud>-<vm>-<n>`, also
 *      VMs and counts the config no longer has). After the destroy: with the manager's
 *      "Reactivate unknown agents" on, a still-running agent re-creates a deleted computer;
 *   3. undo what dskit recorded changing in the manager, newest first (the policy is no longer in use);
 *   4. list what is left in the clouds, by tag/label and by name; a listing that fails is a failure.
 * No failure stops a later step that can still run; the summary lists each failure with what to
 * do, and the exit code is 1. The stacks' destroy needs nothing from the manager (synth never asks
 * it), so a teardown without an API key still destroys them. It shows the plan and asks first, unless --yes.
 */
import * as readline from 'node:readline';
import { CLOUDS, SANDBOX_TAG, expectedComputers, type Cloud } from '../../config';
import { PACKAGE_ROOT } from '../../config/load';
import { changesOf, forgetChange, forgetPolicyId, type ManagerChange } from '../../context';
import type { Leftover, LeftoverLister, StackDestroyer } from '../../cloud';
import {
  ManagerSetupError,
  isNotFound,
  sandboxComputersOf,
  visionOneLookalikes,
  type ManagerClient,
  type Policy,
  type SandboxComputer,
} from '../../manager';
import type { CommandContext } from '../context';
import type { CommandRun } from '../program';
import { EXIT_OK, EXIT_PROBLEM, UsageError } from '../errors';
import { problem } from '../output';
import { managerClient, managerCommand } from './manager-session';
import { POLICY_CREATED, POLICY_MODIFIED } from './policy-ensure';
import { describeTaskChange, isTaskChange, undoTaskChange } from './vision-one';
import { IPS_RULE_STAGED, describeRuleChange, forgetStagedRule, isRuleChange, policyOfChange, undoRuleChange } from '../../rules';

export interface TeardownOptions {
  readonly cloud?: string;
  readonly yes?: boolean;
  readonly managerOnly?: boolean;
}

/** What the user answered at "Proceed?": Ctrl-C is `interrupted` (exit 130), Ctrl-D `eof` (exit 1). */
export type Answer = 'yes' | 'no' | 'interrupted' | 'eof';

/** The side effects teardown reaches out to, so tests can run the flow without clouds. */
export interface TeardownDeps {
  readonly destroyStack: StackDestroyer;
  readonly listLeftovers: LeftoverLister;
  /** Ask the user. Undefined when there is no terminal to ask on. */
  readonly confirm?: (question: string) => Promise<Answer>;
}

/** 128 + SIGINT, what a shell reports for a command stopped with Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

function defaultDeps(): TeardownDeps {
  // Required here, not imported at the top: the cloud SDKs load only when a teardown needs them.
  const cloud = require('../../cloud') as typeof import('../../cloud');
  return {
    destroyStack: cloud.destroyStack,
    listLeftovers: cloud.listLeftovers,
    confirm: process.stdin.isTTY ? (q) => askOnTerminal(q, process.stdin, process.stderr) : undefined,
  };
}

/**
 * A y/N question on the terminal with node:readline, which tells Ctrl-C (its `SIGINT` event, the
 * terminal being in raw mode) from Ctrl-D (end of input: `close`). Prompt libraries were
 * considered: @inquirer/confirm is ESM-only and reports both keys as one ExitPromptError;
 * `prompts` has had no release since 2021.
 */
export function askOnTerminal(question: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<Answer> {
  const rl = readline.createInterface({ input, output, terminal: (input as { isTTY?: boolean }).isTTY === true });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (a: Answer) => {
      if (settled) return;
      settled = true;
      if (a === 'interrupted' || a === 'eof') output.write('\n');
      rl.close();
      resolve(a);
    };
    rl.on('SIGINT', () => settle('interrupted'));
    rl.on('close', () => settle('eof'));
    rl.question(`${question} [y/N] `, (answer) => settle(/^y(es)?$/i.test(answer.trim()) ? 'yes' : 'no'));
  });
}

function describeChange(c: ManagerChange): string {
  if (c.kind === POLICY_CREATED) return `delete policy "${c.name}" (id ${c.id}), created by dskit policy ensure`;
  if (c.kind === POLICY_MODIFIED) return `restore policy "${c.name}" (id ${c.id}) settings changed by dskit policy ensure`;
  if (isRuleChange(c)) return describeRuleChange(c);
  if (isTaskChange(c)) return describeTaskChange(c);
  return `${c.kind} ${c.id} (unknown kind: left alone)`;
}

async function undoChange(client: ManagerClient, c: ManagerChange): Promise<'done' | 'already gone' | 'skipped'> {
  try {
    if (c.kind === POLICY_CREATED) await client.deletePolicy(c.id);
    else if (c.kind === POLICY_MODIFIED) await client.modifyPolicy(c.id, c.previous as Policy);
    else if (isRuleChange(c)) return await undoRuleChange(client, c);
    else if (isTaskChange(c)) await undoTaskChange(client, c);
    else return 'skipped';
    return 'done';
  } catch (err) {
    if (isNotFound(err)) return 'already gone';
    throw err;
  }
}

/** A step that did not work: what, why, and what the user can do about it. */
interface Failure {
  readonly what: string;
  readonly why: string;
  readonly next: string;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/** Every computer of the sandbox on these clouds, each once. */
async function listSandboxComputers(client: ManagerClient, ctx: CommandContext, clouds: readonly Cloud[]): Promise<SandboxComputer[]> {
  const found = [];
  // vision-one: agents that registered themselves are known by their host names.
  if (ctx.config.manager.type === 'vision-one') found.push(...(await visionOneLookalikes(client, ctx.config.name, clouds, ['none'])));
  else for (const cloud of clouds) found.push(...(await client.computersWithDisplayNamePrefix(`${ctx.config.name}-${cloud}-`, ['none'])));
  const expected = expectedComputers(ctx.config, clouds).map((e) => e.displayName);
  return sandboxComputersOf(found, ctx.config.name, clouds, expected);
}

export async function runTeardown(ctx: CommandContext, opts: TeardownOptions, deps: TeardownDeps): Promise<number> {
  const config = ctx.config;
  const clouds = ctx.clouds(opts.cloud);
  const configured = CLOUDS.filter((c) => config[c] !== undefined);
  // Manager changes serve the whole sandbox: undo them only when the whole sandbox goes.
  const wholeSandbox = configured.every((c) => clouds.includes(c));
  const stacks = opts.managerOnly ? [] : clouds.map((c) => ({ cloud: c, name: `${config.name}-${c}` }));
  // Read before anything is done: a damaged file stops here, with exit 2 and the key named.
  const recorded = changesOf(config.name, ctx.cwd);
  const changes = wholeSandbox ? [...recorded].reverse() : [];

  // Without a manager (no key, bad URL) the stacks still go: the manager steps become failures.
  let client: ManagerClient | undefined;
  let managerProblem: string | undefined;
  try {
    client = managerClient(ctx);
  } catch (err) {
    if (!(err instanceof ManagerSetupError)) throw err;
    if (opts.managerOnly) throw err;
    managerProblem = err.message;
  }
  let planned: SandboxComputer[] = [];
  if (client) {
    try {
      planned = await listSandboxComputers(client, ctx, clouds);
    } catch (err) {
      managerProblem = firstLine(err);
    }
  }

  const inConfig = planned.filter((c) => c.inConfig);
  const stale = planned.filter((c) => !c.inConfig);
  const line = (c: SandboxComputer) => `      ${c.computer.displayName} (id ${c.computer.ID})`;
  const plan = [
    `teardown of sandbox ${config.name} (${clouds.join(', ') || 'no clouds configured'}):`,
    ...stacks.map((s) => `  destroy stack ${s.name} (${s.cloud === 'aws' ? 'cdk destroy' : 'cdktf destroy'})`),
    ...(managerProblem
      ? [`  manager: cannot plan its steps: ${managerProblem}`, '    the stacks are still destroyed; fix that and re-run teardown (--manager-only once the stacks are gone)']
      : [
          `  delete ${planned.length} computer(s) from the manager, and any a stopping VM re-creates${planned.length ? ':' : ''}`,
          ...inConfig.map(line),
          ...(stale.length ? ['    not in the config any more (a lowered count or a removed VM):', ...stale.map(line)] : []),
          ...changes.map((c) => `  ${describeChange(c)}`),
          ...(!wholeSandbox && recorded.length > 0 ? ['  keep recorded manager changes: other clouds of the sandbox still use them'] : []),
        ]),
    ...(opts.managerOnly ? [] : [`  then list what is left: tag/label ${SANDBOX_TAG}=${config.name} and names starting ${config.name}-`]),
  ];
  for (const l of plan) ctx.io.err(l);

  if (!opts.yes) {
    if (!deps.confirm) throw new UsageError('--yes: teardown deletes the above and there is no terminal to ask on; pass --yes to go ahead');
    const answer = await deps.confirm('Proceed?');
    if (answer !== 'yes') {
      const line = `teardown: nothing done${answer === 'interrupted' ? ' (interrupted)' : answer === 'eof' ? ' (no answer: end of input)' : ''}`;
      ctx.io.err(line);
      ctx.problem(problem('error', line, { fix: 'run dskit teardown again and answer y, or pass --yes' }));
      return answer === 'interrupted' ? EXIT_INTERRUPTED : EXIT_PROBLEM;
    }
  }

  const failures: Failure[] = [];
  const rerun = `re-run \`npx dskit teardown${opts.cloud && opts.cloud !== 'all' ? ` --cloud ${opts.cloud}` : ''}\``;

  // 1. The stacks.
  const destroyed: { cloud: Cloud; stack: string; ok: boolean; command: string }[] = [];
  for (const s of stacks) {
    ctx.io.err(`teardown: destroying ${s.name} ...`);
    const r = await deps.destroyStack({
      cloud: s.cloud,
      stackName: s.name,
      config,
      configFile: ctx.loadedConfig.file,
      projectDir: PACKAGE_ROOT,
      env: ctx.env,
      onLine: ctx.io.err,
    });
    destroyed.push({ cloud: s.cloud, stack: s.name, ok: r.ok, command: r.command });
    if (!r.ok) {
      failures.push({
        what: `destroy ${s.name}`,
        why: r.reason ?? `${r.command} exited ${r.exitCode}`,
        next: r.next ?? `read its output above, fix the cause, then ${rerun}`,
      });
    }
  }

  // 2. The computers: those planned, and any a stopping agent re-created since.
  const deleted: { id: number; displayName: string; result: 'deleted' | 'already gone' }[] = [];
  if (client && !managerProblem) {
    let toDelete = planned;
    try {
      const now = await listSandboxComputers(client, ctx, clouds);
      const known = new Set(planned.map((c) => c.computer.ID));
      toDelete = [...planned, ...now.filter((c) => !known.has(c.computer.ID))];
    } catch (err) {
      failures.push({ what: 'list the computers again after the destroy', why: firstLine(err), next: `${rerun} to delete any a stopping VM re-created` });
    }
    for (const c of toDelete) {
      const { ID, displayName } = c.computer;
      try {
        await client.deleteComputer(ID);
        deleted.push({ id: ID, displayName, result: 'deleted' });
      } catch (err) {
        if (isNotFound(err)) deleted.push({ id: ID, displayName, result: 'already gone' });
        else {
          failures.push({ what: `delete computer ${displayName} (id ${ID})`, why: firstLine(err), next: `${rerun}, or delete it in the console (Computers)` });
          continue;
        }
      }
      ctx.io.err(`teardown: deleted computer ${displayName} (id ${ID}) [${deleted.length}/${toDelete.length}]`);
    }
  } else {
    failures.push({
      what: 'delete the computers and undo the recorded manager changes',
      why: managerProblem ?? 'no manager client',
      next: 'fix that, then run `npx dskit teardown --manager-only`',
    });
  }

  // 3. What dskit changed in the manager, newest first.
  const undone: { kind: string; id: number; result: string }[] = [];
  if (client && !managerProblem) {
    for (const c of changes) {
      let result: string;
      try {
        result = await undoChange(client, c);
      } catch (err) {
        failures.push({
          what: describeChange(c),
          why: firstLine(err),
          next: `${rerun} (a policy still assigned to computers cannot be deleted until they are gone)`,
        });
        undone.push({ kind: c.kind, id: c.id, result: 'failed' });
        continue;
      }
      if (result !== 'skipped') {
        forgetChange(config.name, c, ctx.cwd);
        if (c.kind === POLICY_CREATED && c.name) forgetPolicyId(c.name, ctx.cwd);
        if (c.kind === IPS_RULE_STAGED) forgetStagedRule(config.name, { ruleId: c.id, policyId: policyOfChange(c) }, ctx.cwd);
      }
      undone.push({ kind: c.kind, id: c.id, result });
      ctx.io.err(`teardown: ${describeChange(c)}: ${result}`);
    }
  }

  // 4. What is left in the clouds. "Nothing remains" only when every listing answered.
  const leftovers: Leftover[] = [];
  const unchecked: Cloud[] = [];
  if (!opts.managerOnly) {
    for (const cloud of clouds) {
      try {
        leftovers.push(...(await deps.listLeftovers(cloud, config, ctx.env)));
      } catch (err) {
        unchecked.push(cloud);
        const hint = (err as { next?: unknown }).next;
        failures.push({
          what: `could not check ${cloud}`,
          why: firstLine(err),
          next: typeof hint === 'string' ? hint : `fix that and ${rerun}; until then, look in the ${cloud === 'aws' ? 'AWS' : 'Google Cloud'} console`,
        });
      }
    }
  }

  const ok = failures.length === 0 && leftovers.length === 0;
  for (const f of failures) ctx.problem(problem('error', `${f.what}: ${f.why}`, { fix: f.next }));
  for (const l of leftovers) ctx.problem(problem('error', `left behind in ${l.cloud}: ${l.type} ${l.id}${l.foundBy === 'name' ? ' (found by name, unlabelled)' : ''}`, { fix: 'delete it, or re-run teardown once the cloud indexes caught up' }));
  const undoneCount = undone.filter((u) => u.result === 'done' || u.result === 'already gone').length;
  ctx.emit(
    {
      // The envelope carries ok and the problems (failures and leftovers, one each).
      sandbox: config.name,
      destroyed,
      deletedComputers: deleted,
      undone,
      // null: not looked for (--manager-only leaves the stacks, so it lists nothing).
      leftovers: opts.managerOnly ? null : leftovers,
      failures,
    },
    () => [
      (opts.managerOnly ? 'stacks left alone (--manager-only)' : `destroyed ${destroyed.filter((d) => d.ok).length} of ${destroyed.length} stack(s)`) +
        `; deleted ${deleted.length} computer(s); undid ${undoneCount} of ${changes.length} manager change(s)`,
      ...(leftovers.length > 0
        ? [
            `${leftovers.length} resource(s) of sandbox ${config.name} remain (the clouds' indexes lag a few minutes behind deletions; re-run to confirm, or delete them):`,
            ...leftovers.map((l) => `  ${l.cloud}  ${l.type}  ${l.id}${l.foundBy === 'name' ? '  (found by name, unlabelled)' : ''}`),
          ]
        : opts.managerOnly || unchecked.length > 0 || stacks.length === 0
          ? []
          : failures.length > 0
            ? [`the listings found nothing of sandbox ${config.name} in ${clouds.join(' or ')}, but teardown did not finish (below)`]
            : [`nothing of sandbox ${config.name} remains in ${clouds.join(' or ')} (checked by tag/label ${SANDBOX_TAG}=${config.name} and by name)`]),
      ...(failures.length > 0
        ? [`teardown did not finish: ${failures.length} problem(s):`, ...failures.map((f) => `  ${f.what}: ${f.why} — ${f.next}`)]
        : []),
    ],
  );
  return ok ? EXIT_OK : EXIT_PROBLEM;
}

export const run: CommandRun<TeardownOptions> = managerCommand((ctx, opts) => runTeardown(ctx, opts, defaultDeps()));
