/**
 * The Windows boot script: settings, then agents/windows/install-agent.ps1, then the cloud's
 * pieces. On AWS it is wrapped in <powershell> for EC2Launch.
 */
import { psQuote, stripPowerShellComments } from './shell';
import type { ScriptSettings } from './settings';
import { agentSource, windowsSources } from './sources';
import type { CloudScriptParams } from './index';
import type { RenderedScript } from './linux';

const assign = (vars: readonly (readonly [string, string | number | boolean])[]) =>
  vars
    .map(([name, value]) => `$${name} = ${typeof value === 'string' ? psQuote(value) : typeof value === 'boolean' ? `$${value}` : value}\n`)
    .join('');

export function renderWindows(s: ScriptSettings, params: CloudScriptParams): RenderedScript {
  const cloudVars: [string, string][] =
    params.cloud === 'aws'
      ? [['AwsRegion', params.region], ['WaitHandleUrl', params.waitHandleUrl], ['LogGroupName', params.logGroupName]]
      : [['GcpProject', params.project], ['LogName', params.logName]];
  const body =
    `# dskit boot script for ${s.displayName}: installs and activates the Deep Security agent (agents/windows).\n` +
    "# The activation token is read at boot from the secret store with the VM's identity; it is not in here.\n" +
    assign([
      ...cloudVars,
      ['DisplayName', s.displayName],
      ['Cloud', s.cloud],
      ['ManagerUrl', s.managerUrl],
      ['ActivationUrl', s.activationUrl],
      ['TenantId', s.tenantId],
      ['TenantNumericId', s.tenantNumericId],
      ['PolicyId', s.policyId],
      ['GroupId', s.groupId],
      ['RelayGroupId', s.relayGroupId],
      ['TokenSecretName', s.tokenSecretName],
      ['Proxy', s.proxy],
      ['VerifySignature', s.verifySignature],
      ['SyslogPort', s.syslogPort],
      ['ExpiresAfterHours', s.expiresAfterHours],
      ['BudgetSeconds', s.budgetSeconds],
    ]) +
    windowsSources(params.cloud)
      .map((file) => stripPowerShellComments(agentSource(file)))
      .join('') +
    'Invoke-DskitMain\n';
  const script = params.cloud === 'aws' ? `<powershell>\n${body}</powershell>\n` : body;
  return { script, readable: script };
}
