/**
 * A sandbox for `dskit exercise` against local doubles: the manager (computers with each module's
 * state, the Trend rules, a firewall rule that drops the probe), AWS (tagging, SSM, Athena) and
 * GCP (metadata, Compute, BigQuery), and stand-in VMs that answer the triggers and send the event
 * a real agent would, unless told otherwise. `dskit` runs as a child process, as a user runs it,
 * with the doubles reached the way a private endpoint would be (AWS_ENDPOINT_URL,
 * GCE_METADATA_HOST, CLOUDSDK_API_ENDPOINT_OVERRIDES_*), and none of this machine's own cloud setup.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { athenaEventsSource } from '../../../lib/aws/athena-analytics';
import { glueDatabaseName, athenaWorkGroupName, EVENTS_TABLE_NAME } from '../../../lib/aws/names';
import { MODULE_KEYS, TRIGGERS, type ModuleKey, type Platform } from '../../../lib/exercise/catalogue';
import { FORWARDING_SETTINGS } from '../../../lib/exercise/readiness';
import { triggerScript } from '../../../lib/exercise/scripts';
import { eventsSourceSql } from '../../../lib/gcp/events';
import { eventsDatasetId } from '../../../lib/gcp/names';
import { AWS_KEY_ID, FakeAwsExercise, type RegisteredInstance } from '../../fixtures/exercise-cloud/aws';
import { FakeGcpExercise, type FakeInstance } from '../../fixtures/exercise-cloud/gcp';
import { ExerciseManagerApi } from '../../fixtures/exercise-cloud/manager';
import { DSKIT_BIN, type CliResult } from '../../helpers/cli';
import { sandboxRaw } from '../../manager/harness';
import { triggerEvent } from './events';

export const API_KEY = 'test-key-exercise-not-a-real-secret';
export const SANDBOX = 'ds-eval';
export const AWS_REGION = 'ap-northeast-1';
export const GCP_PROJECT = 'dskit-lab-1234';
export const GCP_ZONE = 'asia-northeast1-a';
export const GCP_REGION = 'asia-northeast1';
export const POLICY_ID = 9;
export const SYSLOG_CONFIG_ID = 3;

/** What a stand-in VM does with a trigger: the agent sees it (default), sees nothing, or the trigger fails. */
export type Behaviour = 'detected' | 'silent' | { readonly fail: string } | { readonly lateMs: number };

export interface VmSpec {
  readonly cloud: 'aws' | 'gcp';
  readonly vm: string;
  readonly os: string;
  readonly computerId: number;
  readonly behaviour?: Partial<Record<ModuleKey, Behaviour>>;
  /** AWS: how SSM sees the instance. @default 'Online' */
  readonly ssm?: 'Online' | 'ConnectionLost' | 'unregistered';
  /** GCP: whether the boot script installed the watcher. @default true */
  readonly watcher?: boolean;
  /** The computer's module extensions, changed from "everything on". */
  readonly computer?: (c: Record<string, any>) => void;
  /** No computer for this VM in the manager. */
  readonly noComputer?: boolean;
}

export interface Lab {
  readonly dir: string;
  readonly manager: ExerciseManagerApi;
  readonly aws: FakeAwsExercise;
  readonly gcp: FakeGcpExercise;
  readonly ruleIds: Record<string, number>;
  /** The trigger scripts the stand-in VMs received, by display name. */
  readonly received: Map<string, string>;
  dskit(args: readonly string[], timeoutMs?: number): Promise<CliResult>;
  close(): Promise<void>;
}

const displayName = (v: VmSpec) => `${SANDBOX}-${v.cloud}-${v.vm}-1`;
const platformOf = (os: string): Platform => (os.startsWith('windows') ? 'windows' : 'linux');

/** The modules and run id a trigger script was sent for (its last call line). */
function requestOf(script: string): { run: string; modules: ModuleKey[] } {
  const m = /(?:dskit_exercise_run|Invoke-DskitExercise) '([a-z0-9-]+)' '([a-z,]+)'\n?(?:DSKIT_EXERCISE_END)?\s*$/.exec(script);
  if (!m) throw new Error(`not a trigger script: ...${script.slice(-120)}`);
  return { run: m[1], modules: m[2].split(',') as ModuleKey[] };
}

function answerLines(spec: VmSpec, modules: readonly ModuleKey[]): { lines: string[]; detected: ModuleKey[]; late: Map<ModuleKey, number> } {
  const now = Math.floor(Date.now() / 1000);
  const lines: string[] = [];
  const detected: ModuleKey[] = [];
  const late = new Map<ModuleKey, number>();
  for (const m of modules) {
    const b = spec.behaviour?.[m] ?? 'detected';
    if (typeof b === 'object' && 'fail' in b) {
      lines.push(`dskit-exercise ${m} failed ${now} ${b.fail}`);
      continue;
    }
    lines.push(`dskit-exercise ${m} ok ${now} ${TRIGGERS[m].does[platformOf(spec.os)]}`);
    if (b === 'detected') detected.push(m);
    else if (typeof b === 'object') late.set(m, b.lateMs);
  }
  return { lines, detected, late };
}

/** The CLI's environment: the doubles, reached as private endpoints would be, and none of this machine's cloud setup. */
export function cliEnv(home: string, urls: { readonly awsUrl: string; readonly gcpUrl: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|GOOGLE_|GCE_|CLOUDSDK_|METADATA_SERVER|DSKIT_)/.test(k)) env[k] = v;
  return {
    ...env,
    HOME: home,
    CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
    AWS_CONFIG_FILE: path.join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: urls.awsUrl,
    AWS_ACCESS_KEY_ID: AWS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    GCE_METADATA_HOST: urls.gcpUrl.replace(/^http:\/\//, ''),
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: `${urls.gcpUrl}/compute/v1/`,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_BIGQUERY: `${urls.gcpUrl}/bigquery/v2/`,
    DS_API_KEY: API_KEY,
  };
}

/** `dskit` as a child process, optionally behind a wrapper command (`ip netns exec <ns>`). */
export function runDskitIn(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000, wrapper: readonly string[] = []): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = [...wrapper, process.execPath, DSKIT_BIN, ...args];
    const child = spawn(cmd, rest, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Everything on, every Trend rule the triggers need assigned, forwarding to SYSLOG_CONFIG_ID. */
export function readyComputer(name: string, computerId: number, platform: Platform, ids: Record<string, number>): Record<string, any> {
  const linux = platform === 'linux';
  const status = { agentStatus: 'active', agentStatusMessage: 'Managed (Online)' };
  return {
    ID: computerId,
    displayName: name,
    hostName: name,
    policyID: POLICY_ID,
    platform: linux ? 'Debian 12 (64 bit)' : 'Microsoft Windows Server 2022 (64 bit)',
    computerStatus: { agentStatus: 'active', agentStatusMessages: ['Managed (Online)'] },
    computerSettings: {
      ...Object.fromEntries(Object.values(FORWARDING_SETTINGS).map((s) => [s, { value: String(SYSLOG_CONFIG_ID) }])),
      integrityMonitoringSettingRealtimeEnabled: { value: 'true' },
      logInspectionSettingSeverityClippingAgentEventSendSyslogLevelMin: { value: 'Low (3)' },
    },
    antiMalware: { state: 'on', realTimeScanConfigurationID: 1, moduleStatus: status },
    webReputation: { state: 'on', moduleStatus: status },
    intrusionPrevention: { state: 'detect', ruleIDs: [ids.ips], moduleStatus: status },
    integrityMonitoring: { state: 'real-time', ruleIDs: [linux ? ids.imLinux : ids.imWindows], moduleStatus: status },
    logInspection: { state: 'on', ruleIDs: [ids.liDefaults, linux ? ids.liLinux : ids.liWindows], moduleStatus: status },
    firewall: { state: 'on', ruleIDs: [ids.fwDeny], moduleStatus: status },
  };
}

/** The Trend rules the triggers need, as the manager lists them (ids are the manager's). */
export const TREND_RULES = {
  ips: { identifier: '1005924', name: 'Restrict Download of EICAR Test File Over HTTP' },
  imLinux: { identifier: '1003513', name: 'Unix - File attributes changes in /etc location' },
  imWindows: { identifier: '1002773', name: "Microsoft Windows - 'Hosts' file modified" },
  liDefaults: { identifier: '1002792', name: 'Default Rules Configuration' },
  liLinux: { identifier: '1002831', name: 'Unix - Syslog' },
  liWindows: { identifier: '1002795', name: 'Microsoft Windows Events' },
  fwDeny: { name: 'dskit exercise deny', action: 'deny', direction: 'outgoing', protocol: 'tcp', destinationIPType: 'any', destinationPortType: 'multiple', destinationPortMultiple: ['9'] },
} as const;

export async function startLab(vms: readonly VmSpec[], opts: { eventDelayMs?: number } = {}): Promise<Lab> {
  const eventDelayMs = opts.eventDelayMs ?? 300;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-exercise-'));
  const manager = new ExerciseManagerApi(API_KEY);
  const managerUrl = await manager.start();
  const aws = new FakeAwsExercise(AWS_REGION);
  const awsUrl = await aws.start();
  const gcp = new FakeGcpExercise(GCP_PROJECT, GCP_ZONE, GCP_REGION);
  const gcpUrl = await gcp.start();
  const received = new Map<string, string>();
  const timers: NodeJS.Timeout[] = [];

  // The manager: the sandbox policy, the Trend rules by identifier, a firewall rule denying the probe.
  manager.fake.addPolicy({ ID: POLICY_ID, name: 'Linux Server' });
  const ruleIds: Record<string, number> = {
    ips: manager.fake.addIntrusionPreventionRule({ ...TREND_RULES.ips }),
    imLinux: manager.addRule('integritymonitoringrules', { ...TREND_RULES.imLinux }),
    imWindows: manager.addRule('integritymonitoringrules', { ...TREND_RULES.imWindows }),
    liDefaults: manager.addRule('loginspectionrules', { ...TREND_RULES.liDefaults }),
    liLinux: manager.addRule('loginspectionrules', { ...TREND_RULES.liLinux }),
    liWindows: manager.addRule('loginspectionrules', { ...TREND_RULES.liWindows }),
    fwDeny: manager.addFirewallRule({ ...TREND_RULES.fwDeny, destinationPortMultiple: [...TREND_RULES.fwDeny.destinationPortMultiple] }),
  };
  for (const v of vms) {
    if (v.noComputer) continue;
    const c = readyComputer(displayName(v), v.computerId, platformOf(v.os), ruleIds);
    v.computer?.(c);
    manager.fake.addComputer(c);
  }

  // AWS: the stack's Athena names and source relation; instances tagged and known to SSM.
  const database = glueDatabaseName(SANDBOX);
  aws.workGroups.add(athenaWorkGroupName(SANDBOX));
  aws.databases.add(database);
  aws.athenaSource = athenaEventsSource(database, EVENTS_TABLE_NAME);
  const byInstance = new Map<string, VmSpec>();
  vms.filter((v) => v.cloud === 'aws').forEach((v, i) => {
    const instanceId = `i-0${String(i + 1).padStart(16, '0')}`;
    aws.addInstance({
      instanceId,
      displayName: displayName(v),
      platform: platformOf(v.os) === 'linux' ? 'Linux' : 'Windows',
      sandbox: SANDBOX,
      pingStatus: v.ssm === 'ConnectionLost' ? 'ConnectionLost' : 'Online',
      registered: v.ssm !== 'unregistered',
    });
    byInstance.set(instanceId, v);
  });
  const deliver = (spec: VmSpec, modules: readonly ModuleKey[], late: Map<ModuleKey, number>, send: (line: string) => Promise<void>) => {
    const host = { hostId: spec.computerId, dvchost: displayName(spec) };
    const platform = platformOf(spec.os);
    for (const m of modules) timers.push(setTimeout(() => void send(triggerEvent(m, platform, host)), eventDelayMs));
    for (const [m, ms] of late) timers.push(setTimeout(() => void send(triggerEvent(m, platform, host)), ms));
  };
  aws.runner = async (instance: RegisteredInstance, document, commands) => {
    const spec = byInstance.get(instance.instanceId)!;
    const script = commands.join('\n');
    received.set(instance.displayName, script);
    const { run, modules } = requestOf(script);
    // The stand-in VM takes only the exact script dskit renders for its platform.
    expect(document).toBe(platformOf(spec.os) === 'linux' ? 'AWS-RunShellScript' : 'AWS-RunPowerShellScript');
    expect(script).toBe(triggerScript(platformOf(spec.os), run, modules, ''));
    const { lines, detected, late } = answerLines(spec, modules);
    deliver(spec, detected, late, (line) => aws.addEventLine(line));
    return { exitCode: 0, stdout: `${lines.join('\n')}\n`, stderr: '' };
  };

  // GCP: the dataset's source relation; instances whose watcher answers in guest attributes.
  gcp.bigquerySource = eventsSourceSql(GCP_PROJECT, eventsDatasetId(SANDBOX));
  const byName = new Map<string, VmSpec>();
  for (const v of vms.filter((x) => x.cloud === 'gcp')) {
    gcp.addInstance(displayName(v));
    byName.set(displayName(v), v);
  }
  const handled = new Set<string>();
  gcp.onMetadataChange = (inst: FakeInstance) => {
    const spec = byName.get(inst.name);
    const value = inst.metadata.get('dskit-exercise');
    if (!spec || spec.watcher === false || !value || handled.has(`${inst.name} ${value}`)) return;
    handled.add(`${inst.name} ${value}`);
    received.set(inst.name, value);
    const m = /^run=([a-z0-9-]+) modules=([a-z,]+)$/.exec(value)!;
    const run = m[1];
    const now = Math.floor(Date.now() / 1000);
    timers.push(
      setTimeout(() => {
        inst.guestAttributes.set('dskit-exercise/watcher', `${run} started ${now} modules ${m[2]}`);
        const { lines, detected, late } = answerLines(spec, m[2].split(',') as ModuleKey[]);
        for (const line of lines) {
          const r = /^dskit-exercise (\w+) (.*)$/.exec(line)!;
          inst.guestAttributes.set(`dskit-exercise/${r[1]}`, `${run} ${r[2]}`);
        }
        inst.guestAttributes.set('dskit-exercise/watcher', `${run} done ${now}`);
        deliver(spec, detected, late, (line) => gcp.addLogEntry(line));
      }, 100),
    );
  };

  fs.writeFileSync(
    path.join(dir, 'sandbox.yaml'),
    stringify(
      sandboxRaw(POLICY_ID, (raw) => {
        raw.name = SANDBOX;
        raw.events = { syslogConfigId: SYSLOG_CONFIG_ID };
        raw.aws.region = AWS_REGION;
        raw.aws.vms = vms.filter((v) => v.cloud === 'aws').map((v) => ({ name: v.vm, os: v.os, count: 1, ...(v.os.startsWith('windows') ? { instanceType: 't3.large' } : {}) }));
        raw.gcp = { project: GCP_PROJECT, region: GCP_REGION, zone: GCP_ZONE, vms: vms.filter((v) => v.cloud === 'gcp').map((v) => ({ name: v.vm, os: v.os, count: 1 })) };
        if (raw.aws.vms.length === 0) delete raw.aws;
        if (raw.gcp.vms.length === 0) delete raw.gcp;
      }),
    ),
  );
  const env = cliEnv(dir, { awsUrl, gcpUrl });
  return {
    dir,
    manager,
    aws,
    gcp,
    ruleIds,
    received,
    dskit: (args, timeoutMs) => runDskitIn(['--config', path.join(dir, 'sandbox.yaml'), '--manager-url', managerUrl, ...args], dir, env, timeoutMs),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await Promise.all([manager.stop(), aws.stop(), gcp.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const ALL_MODULES = [...MODULE_KEYS];

