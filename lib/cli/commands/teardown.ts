/**
 * `dskit teardown [--cloud C] [--yes] [--manager-only]`:
 *   1. delete exactly the sandbox's computers (display names from the config, matched exactly);
 *   2. undo what dskit recorded changing in the manager, newest first;
 *   3. destroy the stacks (unless --manager-only);
 *   4. list what is still tagged dskit-sandbox=<name>; exit 1 if anything is.
 * It shows the plan and asks first, unless --yes.
 */
import * as readline from 'node:readline';
import { CLOUDS, SANDBOX_TAG, expectedComputers, type Cloud } from '../../config';
import { PACKAGE_ROOT } from '../../config/load';
import { changesOf, forgetChange, forgetPolicyId, type ManagerChange } from '../../context';
import type { Leftover, LeftoverLister, StackDestroyer } from '../../cloud';
import { isNotFound, sandboxComputersIn, type Computer, type ManagerClient, type Policy } from '../../manager';
import type { CommandContext } from '../context';
import type { CommandRun } from '../program';
import { EXIT_OK, EXIT_PROBLEM, UsageError } from '../errors';
import { managerClient, managerCommand } from './manager-session';
import { POLICY_CREATED, POLICY_MODIFIED } from './policy-ensure';
import { IPS_RULE_STAGED, describeRuleChange, forgetStagedRule, isRuleChange, policyOfChange, undoRuleChange } from '../../rules';
import { sandboxLookalikes } from './verify';

export interface TeardownOptions {
  readonly cloud?: string;
  readonly yes?: boolean;
  readonly managerOnly?: boolean;
}

/** The side effects teardown reaches out to, so tests can run the flow without clouds. */
export interface TeardownDeps {
  readonly destroyStack: StackDestroyer;
  readonly listLeftovers: LeftoverLister;
  /** Ask the user; resolves true to go ahead. Undefined when there is no terminal to ask on. */
  readonly confirm?: (question: string) => Promise<boolean>;
}

function defaultDeps(): TeardownDeps {
  // Required here, not imported at the top: the cloud SDKs load only when a teardown needs them.
  const cloud = require('../../cloud') as typeof import('../../cloud');
  return {
    destroyStack: cloud.destroyStack,
    listLeftovers: cloud.listLeftovers,
    confirm: process.stdin.isTTY ? askOnTerminal : undefined,
  };
}

function askOnTerminal(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) =>
    rl.question(`${question} [y/N] `, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    }),
  );
}

function describeChange(c: ManagerChange): string {
  if (c.kind === POLICY_CREATED) return `delete policy "${c.name}" (id ${c.id}), created by dskit policy ensure`;
  if (c.kind === POLICY_MODIFIED) return `restore policy "${c.name}" (id ${c.id}) settings changed by dskit policy ensure`;
  if (isRuleChange(c)) return describeRuleChange(c);
  return `${c.kind} ${c.id} (unknown kind: left alone)`;
}

async function undoChange(client: ManagerClient, c: ManagerChange): Promise<'done' | 'already gone' | 'skipped'> {
  try {
    if (c.kind === POLICY_CREATED) await client.deletePolicy(c.id);
    else if (c.kind === POLICY_MODIFIED) await client.modifyPolicy(c.id, c.previous as Policy);
    else if (isRuleChange(c)) return await undoRuleChange(client, c);
    else return 'skipped';
    return 'done';
  } catch (err) {
    if (isNotFound(err)) return 'already gone';
    throw err;
  }
}

export async function runTeardown(ctx: CommandContext, opts: TeardownOptions, deps: TeardownDeps): Promise<number> {
  const config = ctx.config;
  const clouds = ctx.clouds(opts.cloud);
  const configured = CLOUDS.filter((c) => config[c] !== undefined);
  // Manager changes serve the whole sandbox: undo them only when the whole sandbox goes.
  const wholeSandbox = configured.every((c) => clouds.includes(c));
  const client = managerClient(ctx);

  const expectedNames = expectedComputers(config, clouds).map((e) => e.displayName);
  const toDelete = sandboxComputersIn(await sandboxLookalikes(client, config.name, clouds), expectedNames);
  const recorded = changesOf(config.name, ctx.cwd);
  const changes = wholeSandbox ? [...recorded].reverse() : [];
  const stacks = opts.managerOnly ? [] : clouds.map((c) => ({ cloud: c, name: `${config.name}-${c}` }));

  const plan = [
    `teardown of sandbox ${config.name} (${clouds.join(', ') || 'no clouds configured'}):`,
    `  delete ${toDelete.length} computer(s) from the manager${toDelete.length ? ':' : ''}`,
    ...toDelete.map((c) => `    ${c.displayName} (id ${c.ID})`),
    ...changes.map((c) => `  ${describeChange(c)}`),
    ...(!wholeSandbox && recorded.length > 0 ? ['  keep recorded manager changes: other clouds of the sandbox still use them'] : []),
    ...stacks.map((s) => `  destroy stack ${s.name} (${s.cloud === 'aws' ? 'cdk destroy' : 'cdktf destroy'})`),
  ];
  for (const line of plan) ctx.io.err(line);

  if (!opts.yes) {
    if (!deps.confirm) throw new UsageError('teardown deletes the above and there is no terminal to ask on; pass --yes to go ahead');
    if (!(await deps.confirm('Go ahead?'))) {
      ctx.io.err('teardown: nothing done');
      return EXIT_PROBLEM;
    }
  }

  const deleted: Computer[] = [];
  for (const c of toDelete) {
    try {
      await client.deleteComputer(c.ID!);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    deleted.push(c);
    ctx.io.err(`teardown: deleted computer ${c.displayName} (id ${c.ID}) [${deleted.length}/${toDelete.length}]`);
  }

  const undone: { kind: string; id: number; result: string }[] = [];
  for (const c of changes) {
    const result = await undoChange(client, c);
    if (result !== 'skipped') {
      forgetChange(config.name, c, ctx.cwd);
      if (c.kind === POLICY_CREATED && c.name) forgetPolicyId(c.name, ctx.cwd);
      if (c.kind === IPS_RULE_STAGED) forgetStagedRule(config.name, { ruleId: c.id, policyId: policyOfChange(c) }, ctx.cwd);
    }
    undone.push({ kind: c.kind, id: c.id, result });
    ctx.io.err(`teardown: ${describeChange(c)}: ${result}`);
  }

  const destroyed: { cloud: Cloud; stack: string; ok: boolean; command: string }[] = [];
  for (const s of stacks) {
    ctx.io.err(`teardown: destroying ${s.name} ...`);
    const r = await deps.destroyStack({
      cloud: s.cloud,
      stackName: s.name,
      configFile: ctx.loadedConfig.file,
      projectDir: PACKAGE_ROOT,
      env: ctx.env,
      onLine: ctx.io.err,
    });
    destroyed.push({ cloud: s.cloud, stack: s.name, ok: r.ok, command: r.command });
    if (!r.ok) ctx.io.err(`teardown: ${r.command} failed (exit ${r.exitCode}); the leftovers below show what remains`);
  }

  const leftovers: Leftover[] = [];
  const listingErrors: string[] = [];
  if (!opts.managerOnly) {
    for (const cloud of clouds) {
      try {
        leftovers.push(...(await deps.listLeftovers(cloud, config, ctx.env)));
      } catch (err) {
        listingErrors.push(`${cloud}: cannot list leftovers: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }

  const ok = leftovers.length === 0 && listingErrors.length === 0 && destroyed.every((d) => d.ok);
  ctx.emit(
    {
      ok,
      sandbox: config.name,
      deletedComputers: deleted.map((c) => ({ id: c.ID, displayName: c.displayName })),
      undone,
      destroyed,
      leftovers,
      listingErrors,
    },
    () => [
      `deleted ${deleted.length} computer(s); undid ${undone.filter((u) => u.result !== 'skipped').length} manager change(s)` +
        (opts.managerOnly ? '; stacks left alone (--manager-only)' : `; destroyed ${destroyed.filter((d) => d.ok).length} of ${destroyed.length} stack(s)`),
      ...listingErrors,
      ...(leftovers.length > 0
        ? [
            `${leftovers.length} resource(s) still tagged ${SANDBOX_TAG}=${config.name} (tag indexes lag a few minutes; re-run to confirm, or delete them):`,
            ...leftovers.map((l) => `  ${l.cloud}  ${l.type}  ${l.id}`),
          ]
        : opts.managerOnly
          ? []
          : [`nothing tagged ${SANDBOX_TAG}=${config.name} remains`]),
    ],
  );
  return ok ? EXIT_OK : EXIT_PROBLEM;
}

export const run: CommandRun<TeardownOptions> = managerCommand((ctx, opts) => runTeardown(ctx, opts, defaultDeps()));
