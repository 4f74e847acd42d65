/**
 * Config values that are valid but most likely not what the user wants. Each is one line
 * naming the key; loading goes on (an empty lab must still tear down, a type newer than
 * dskit's lists may well exist).
 */
import type { SandboxConfig } from './schema';
import { ec2InstanceTypeFinding, gcpMachineTypeFinding } from './machine-types';

export interface ConfigWarning {
  readonly path: (string | number)[];
  readonly message: string;
}

export function configWarnings(config: SandboxConfig): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  for (const cloud of ['aws', 'gcp'] as const) {
    const section = config[cloud];
    if (!section) continue;
    if (section.vms.reduce((n, vm) => n + vm.count, 0) === 0) {
      out.push({
        path: [cloud, 'vms'],
        message:
          `no VM to deploy (${section.vms.length === 0 ? 'the list is empty' : 'every count is 0'}): the ${cloud.toUpperCase()} stack would hold ` +
          'only the network and the event pipeline; set a count of 1 or more, or remove the section',
      });
    }
  }
  config.aws?.vms.forEach((vm, i) => {
    const f = ec2InstanceTypeFinding(vm.instanceType);
    if (f?.level === 'warning') out.push({ path: ['aws', 'vms', i, 'instanceType'], message: f.message });
  });
  config.gcp?.vms.forEach((vm, i) => {
    const f = gcpMachineTypeFinding(vm.machineType);
    if (f?.level === 'warning') out.push({ path: ['gcp', 'vms', i, 'machineType'], message: f.message });
  });
  return out;
}

/**
 * For `dskit policy ensure` and `dskit preflight`: with `events.syslogConfigId: 0` the sandbox
 * policy forwards no events, so nothing reaches Athena or BigQuery. A warning, not a refusal: a
 * policy for IPS alone is a valid choice. Undefined when an id is set.
 */
export function syslogForwardingWarning(config: SandboxConfig): (ConfigWarning & { readonly fix: string }) | undefined {
  const { syslogConfigId, syslogPort } = config.events;
  if (syslogConfigId > 0) return undefined;
  return {
    path: ['events', 'syslogConfigId'],
    message: `is ${syslogConfigId}: the sandbox policy will forward no events (nothing reaches Athena or BigQuery)`,
    fix:
      `create a syslog configuration in the manager pointing at 127.0.0.1:${syslogPort} (UDP, CEF, forwarded directly from the agent), ` +
      'set its id here, and run policy ensure again',
  };
}
