/** `dskit policy resolve`: policy names in sandbox.yaml → ids, cached in dskit.context.json. */
import { CLOUDS, vmsOf } from '../../config';
import { cachePolicyId, contextPath } from '../../context';
import type { CommandRun } from '../program';
import { EXIT_OK } from '../errors';
import { lookUpPolicyId, managerClient, managerCommand } from './manager-session';

export const run: CommandRun = managerCommand(async (ctx) => {
  const config = ctx.config;
  const names = new Set<string>();
  if (config.policy.name) names.add(config.policy.name);
  for (const cloud of CLOUDS) for (const vm of vmsOf(config, cloud)) if (vm.policy?.name) names.add(vm.policy.name);

  if (names.size === 0) {
    ctx.emit({ resolved: [], contextFile: null }, () => [`policy ids are given in ${ctx.loadedConfig.file} (policy.id ${config.policy.id}); nothing to resolve`]);
    return EXIT_OK;
  }
  const client = managerClient(ctx);
  const resolved: { name: string; id: number }[] = [];
  for (const name of names) {
    const id = await lookUpPolicyId(client, name);
    cachePolicyId(name, id, ctx.cwd);
    resolved.push({ name, id });
  }
  const file = contextPath(ctx.cwd);
  ctx.emit({ resolved, contextFile: file }, () => [...resolved.map((r) => `policy "${r.name}" → id ${r.id}`), `cached in ${file}`]);
  return EXIT_OK;
});
