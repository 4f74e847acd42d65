/**
 * The Windows boot script: settings, then agents/windows/install-agent.ps1, then the cloud's
 * pieces. On AWS it is wrapped in <powershell> for EC2Launch, and everything but the deploy-time
 * values is gzip+base64 so it fits EC2's 16 KB user data (as the Linux script is); `readable` is the
 * same script with that body inline.
 */
import { gzipSync } from 'node:zlib';
import { psQuote, stripPowerShellComments } from './shell';
import type { ScriptSettings } from './settings';
import { agentSource, windowsSources } from './sources';
import type { CloudScriptParams } from './index';
import { INSTALLER_BUCKET_PLACEHOLDER } from './installers';
import type { RenderedScript } from './linux';

const assign = (vars: readonly (readonly [string, string | number | boolean])[]) =>
  vars
    .map(([name, value]) => `$${name} = ${typeof value === 'string' ? psQuote(value) : typeof value === 'boolean' ? `$${value}` : value}\n`)
    .join('');

/** Values only the deploy knows (CDK tokens, Terraform expressions): they stay outside the compressed body. */
function deployTimeVars(s: ScriptSettings, params: CloudScriptParams): [string, string][] {
  // The project is the token secret's (the Agent Installer path reads no secret).
  if (params.cloud === 'gcp') return [...(s.installer ? [] : [['GcpProject', params.project] as [string, string]]), ['LogName', params.logName]];
  const installer: [string, string][] = s.installer ? [['InstallerBucket', params.installer?.bucket ?? INSTALLER_BUCKET_PLACEHOLDER]] : [];
  return [['AwsRegion', params.region], ['WaitHandleUrl', params.waitHandleUrl], ['LogGroupName', params.logGroupName], ...installer];
}

/** The install path's own settings. */
function pathVars(s: ScriptSettings, params: CloudScriptParams): [string, string | number | boolean][] {
  if (s.installer) {
    return [
      ...(params.cloud === 'gcp' ? [['InstallerBucket', params.installer?.bucket ?? INSTALLER_BUCKET_PLACEHOLDER] as [string, string]] : []),
      ['InstallerObject', params.installer?.object ?? s.installer.objectName],
      ['InstallerSha256', s.installer.sha256],
    ];
  }
  return [
    ['ManagerUrl', s.managerUrl],
    ['ActivationUrl', s.activationUrl],
    ['TenantId', s.tenantId],
    ['TenantNumericId', s.tenantNumericId],
    ['PolicyId', s.policyId],
    ['GroupId', s.groupId],
    ['RelayGroupId', s.relayGroupId],
    ['TokenSecretName', s.tokenSecretName],
  ];
}

/**
 * Decompresses the body with .NET Framework's GZipStream (nothing to install on 5.1) and runs it in
 * the script's own scope. A script block, not a file: no execution policy applies, and nothing is
 * left on disk.
 */
const UNPACK =
  '$DskitGzip = New-Object IO.Compression.GZipStream((New-Object IO.MemoryStream(,[Convert]::FromBase64String($DskitBody))), [IO.Compression.CompressionMode]::Decompress)\n' +
  '. ([ScriptBlock]::Create((New-Object IO.StreamReader($DskitGzip, [Text.Encoding]::UTF8)).ReadToEnd()))\n';

export function renderWindows(s: ScriptSettings, params: CloudScriptParams): RenderedScript {
  const banner =
    `# dskit boot script for ${s.displayName}: installs and activates the Deep Security agent (agents/windows).\n` +
    (s.installer
      ? "# The Agent Installer package is read at boot from the stack's storage with the VM's identity; it is not in here.\n"
      : "# The activation token is read at boot from the secret store with the VM's identity; it is not in here.\n");
  const body =
    assign([
      ['DisplayName', s.displayName],
      ['Cloud', s.cloud],
      ...pathVars(s, params),
      ['Proxy', s.proxy],
      ['VerifySignature', s.verifySignature],
      ['SyslogPort', s.syslogPort],
      ['ExpiresAfterHours', s.expiresAfterHours],
      ['BudgetSeconds', s.budgetSeconds],
    ]) +
    windowsSources(s.pieces)
      .map((file) => stripPowerShellComments(agentSource(file)))
      .join('') +
    'Invoke-DskitMain\n';
  const head = banner + assign(deployTimeVars(s, params));
  if (params.cloud !== 'aws') {
    const script = head + body;
    return { script, readable: script };
  }
  const packed = gzipSync(Buffer.from(body, 'utf8'), { level: 9 }).toString('base64');
  // The Agent Installer path renames the computer and restarts it: EC2Launch v2 runs user data at
  // every boot only when it says <persist>true</persist> (AWS: "EC2Launch v2 settings", user data).
  const persist = s.installer ? '<persist>true</persist>\n' : '';
  const script =
    `<powershell>\n${head}` +
    "# The rest is gzip+base64 to fit EC2's 16 KB user data; `npx dskit agent-script --readable` prints it inline.\n" +
    `$DskitBody = '${packed}'\n${UNPACK}</powershell>\n${persist}`;
  return { script, readable: `<powershell>\n${head}${body}</powershell>\n${persist}` };
}
