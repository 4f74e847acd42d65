/**
 * The Linux boot script: settings, then agents/linux/install-agent.sh, then the cloud's pieces.
 * On AWS everything but the deploy-time values is gzip+base64 so it fits EC2's 16 KB user data;
 * `readable` is the same script with that body inline.
 */
import { gzipSync } from 'node:zlib';
import { bashQuote, dedentShell, stripShellComments } from './shell';
import type { ScriptSettings } from './settings';
import { agentSource, linuxSources } from './sources';
import type { CloudScriptParams } from './index';
import { INSTALLER_BUCKET_PLACEHOLDER } from './installers';

export interface RenderedScript {
  readonly script: string;
  readonly readable: string;
}

const assign = (vars: readonly (readonly [string, string | number])[]) =>
  vars.map(([name, value]) => `${name}=${bashQuote(String(value))}\n`).join('');

/**
 * Values only the deploy knows (CDK tokens, Terraform expressions): they stay outside the compressed
 * body. On AWS that includes the installer bucket's name (the CDK bootstrap bucket's, a token).
 */
function deployTimeVars(s: ScriptSettings, params: CloudScriptParams): [string, string][] {
  // The project is the token secret's (the Agent Installer path reads no secret).
  if (params.cloud === 'gcp') return [...(s.installer ? [] : [['GCP_PROJECT', params.project] as [string, string]]), ['LOG_NAME', params.logName]];
  const installer: [string, string][] = s.installer ? [['INSTALLER_BUCKET', params.installer?.bucket ?? INSTALLER_BUCKET_PLACEHOLDER]] : [];
  return [['AWS_REGION', params.region], ['WAIT_HANDLE_URL', params.waitHandleUrl], ['LOG_GROUP_NAME', params.logGroupName], ...installer];
}

/** What every Linux script has, then its install path's settings. */
function configVars(s: ScriptSettings, params: CloudScriptParams): [string, string | number][] {
  const common: [string, string | number][] = [
    ['DISPLAY_NAME', s.displayName],
    ['CLOUD', s.cloud],
    ['PLATFORM', s.expectedPlatform],
    ['OS_RELEASE_MATCH', s.osRelease],
    ['PROXY', s.proxy],
    ['SYSLOG_PORT', s.syslogPort],
    ['DSKIT_BUDGET_SECONDS', s.budgetSeconds],
    // Only AWS VMs end themselves; on GCP the stack's max_run_duration does it.
    ...(s.cloud === 'aws' ? [['EXPIRES_AFTER_HOURS', s.expiresAfterHours] as [string, number]] : []),
  ];
  if (s.installer) {
    return [
      ...common,
      ['EXPECTED_ARCH', s.expectedArch],
      ...(params.cloud === 'gcp' ? [['INSTALLER_BUCKET', params.installer?.bucket ?? INSTALLER_BUCKET_PLACEHOLDER] as [string, string]] : []),
      ['INSTALLER_OBJECT', params.installer?.object ?? s.installer.objectName],
      ['INSTALLER_SHA256', s.installer.sha256],
    ];
  }
  return [
    ...common,
    ['MANAGER_URL', s.managerUrl],
    ['ACTIVATION_URL', s.activationUrl],
    ['TENANT_ID', s.tenantId],
    ['TENANT_NUMERIC_ID', s.tenantNumericId],
    ['POLICY_ID', s.policyId],
    ['GROUP_ID', s.groupId],
    ['RELAY_GROUP_ID', s.relayGroupId],
    ['TOKEN_SECRET_NAME', s.tokenSecretName],
    ['VERIFY_SIGNATURE', s.verifySignature ? 1 : 0],
    ['SIGNING_KEY_ARMORED', s.signingKey ?? ''],
  ];
}

export function renderLinux(s: ScriptSettings, params: CloudScriptParams): RenderedScript {
  const banner =
    '#!/bin/bash\n' +
    `# dskit boot script for ${s.displayName}: installs and activates the Deep Security agent (agents/linux).\n` +
    (s.installer
      ? "# The Agent Installer package is read at boot from the stack's storage with the VM's identity; it is not in here.\n"
      : "# The activation token is read at boot from the secret store with the VM's identity; it is not in here.\n");
  const head = banner + assign(deployTimeVars(s, params));
  const sources = linuxSources(s.pieces)
    .map((file) => stripShellComments(agentSource(file)).replace(/^#!.*\n/, ''))
    .join('');
  // Only AWS is short of room: the GCP startup script keeps its indentation.
  const body = assign(configVars(s, params)) + (params.cloud === 'aws' ? dedentShell(sources) : sources) + 'dskit_main\n';
  const readable = head + body;
  if (params.cloud !== 'aws') return { script: readable, readable };
  // One line of base64 (a line break every 76 characters would cost ~150 bytes of user data).
  const packed = gzipSync(Buffer.from(body, 'utf8'), { level: 9 }).toString('base64');
  const script =
    '#!/bin/bash\n' +
    `# dskit boot script of ${s.displayName} (agents/linux; no secret in it), gzip+base64 for EC2's 16 KB user data: \`npx dskit agent-script --readable\`\n` +
    '# shellcheck disable=SC2034 # read by the body\n' +
    assign(deployTimeVars(s, params)) +
    `DSKIT_BODY='${packed}'\n` +
    'DSKIT_SOURCE=$(printf \'%s\' "$DSKIT_BODY" | base64 -d | gzip -dc) || { echo "dskit: boot script body is corrupt" >&2; exit 1; }\n' +
    'eval "$DSKIT_SOURCE"\n';
  return { script, readable };
}
