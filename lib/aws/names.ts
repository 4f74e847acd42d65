/**
 * Names of the sandbox's AWS resources, derived from the config alone so the CLI, the docs and
 * the tests agree with the stack without synthesizing it.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { SandboxConfig } from '../config';

/** SPEC §5: the log group the CloudWatch agent ships DS events to. */
export function eventsLogGroupName(sandbox: string): string {
  return `/dskit/${sandbox}/ds-events`;
}

export function flowLogGroupName(sandbox: string): string {
  return `/dskit/${sandbox}/vpc-flow-logs`;
}

/** Glue/Athena identifiers allow only lower-case letters, digits and `_`. */
export function glueDatabaseName(sandbox: string): string {
  return `dskit_${sandbox.replace(/-/g, '_')}`;
}

export const EVENTS_TABLE_NAME = 'ds_events';

export function athenaWorkGroupName(sandbox: string): string {
  return `dskit-${sandbox}`;
}

/** S3 key prefix Firehose writes under; the hour folder is the Glue table's projected partition. */
export const EVENTS_PREFIX = 'events/';

export interface SandboxNames {
  readonly eventsLogGroup: string;
  readonly flowLogGroup: string;
  readonly glueDatabase: string;
  readonly eventsTable: string;
  readonly athenaWorkGroup: string;
}

export function sandboxNames(config: Pick<SandboxConfig, 'name'>): SandboxNames {
  return {
    eventsLogGroup: eventsLogGroupName(config.name),
    flowLogGroup: flowLogGroupName(config.name),
    glueDatabase: glueDatabaseName(config.name),
    eventsTable: EVENTS_TABLE_NAME,
    athenaWorkGroup: athenaWorkGroupName(config.name),
  };
}

// CloudWatch Logs accepts only these retention periods (days).
const LOG_RETENTION_STEPS = Object.values(RetentionDays)
  .filter((v): v is number => typeof v === 'number' && v > 0 && v !== RetentionDays.INFINITE)
  .sort((a, b) => a - b);

/**
 * The shortest retention CloudWatch Logs accepts that keeps events at least `days`:
 * `events.retentionDays` may be any number of days, the log group cannot.
 */
export function logRetentionFor(days: number): RetentionDays {
  const step = LOG_RETENTION_STEPS.find((d) => d >= days);
  if (step === undefined) {
    throw new Error(`events.retentionDays: ${days} is longer than CloudWatch Logs allows (${LOG_RETENTION_STEPS.at(-1)} days)`);
  }
  return step as RetentionDays;
}
