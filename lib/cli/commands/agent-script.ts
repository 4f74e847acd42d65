/** `dskit agent-script --cloud aws|gcp --vm NAME [--index N]`: print a VM's boot script (SPEC §4). */
import { INSTALLER_BUCKET_PLACEHOLDER, findVm, platformOf, renderBootScript, type CloudScriptParams } from '../../agent';
import type { Cloud } from '../../config';
import { UsageError } from '../errors';
import type { CommandRun } from '../program';

/** The wait handle's pre-signed URL exists only once CloudFormation creates it. */
export const AWS_WAIT_HANDLE_PLACEHOLDER = 'https://WAIT-HANDLE-URL-IS-SET-AT-DEPLOY-TIME.invalid/';

interface Options {
  readonly cloud: Cloud;
  readonly vm: string;
  readonly index?: string;
  readonly readable?: boolean;
}

export const run: CommandRun<Options> = async (ctx, opts) => {
  const config = ctx.config;
  ctx.clouds(opts.cloud);
  let vm;
  try {
    vm = findVm(config, opts.cloud, opts.vm);
  } catch (err) {
    throw new UsageError(`--vm: ${(err as Error).message}`);
  }
  const index = Number(opts.index ?? '1');
  if (!Number.isInteger(index) || index < 1 || index > vm.count) {
    throw new UsageError(`--index: got "${opts.index}"; allowed: 1..${vm.count} (${opts.cloud}.vms "${vm.name}" count)`);
  }
  const params: CloudScriptParams =
    opts.cloud === 'aws'
      ? {
          cloud: 'aws',
          region: config.aws!.region,
          waitHandleUrl: AWS_WAIT_HANDLE_PLACEHOLDER,
          logGroupName: `/dskit/${config.name}/ds-events`,
          managerUrl: ctx.options.managerUrl,
        }
      : { cloud: 'gcp', project: config.gcp!.project, logName: 'ds-events', managerUrl: ctx.options.managerUrl };
  const boot = renderBootScript(config, vm, index, params);
  for (const w of boot.warnings) ctx.warn(w);
  if (opts.cloud === 'aws') ctx.io.err(`dskit: the wait condition URL is a placeholder (${AWS_WAIT_HANDLE_PLACEHOLDER}); CloudFormation sets it at deploy time`);
  // vision-one: the stack decides where the package is kept (AWS: the CDK asset bucket and key).
  if (config.manager.type === 'vision-one') ctx.io.err(`dskit: the installer bucket is a placeholder (${INSTALLER_BUCKET_PLACEHOLDER}); the stack sets it`);
  const script = opts.readable ? boot.readable : boot.script;
  ctx.emit({ cloud: opts.cloud, vm: vm.name, index, platform: platformOf(vm), displayName: boot.displayName, script, warnings: boot.warnings }, () => [
    script.replace(/\n$/, ''),
  ]);
  return 0;
};
