/**
 * Any error raised inside the CDK and CDKTF apps becomes ONE line on stderr and exit 2, never a
 * Node stack trace with a whole transpiled source line: a config the schema let through but a
 * construct refuses (`aws.vms[0].os: ...`), or an error from aws-cdk-lib / cdktf themselves.
 * Installed by lean-start.ts, the apps' first import, so it covers module loading too.
 * `DSKIT_DEBUG=1` adds the stack (with `DSKIT_SOURCE_MAPS=1` mapped to the TypeScript sources).
 */

/** Exit code of a bad config (the CLI's EXIT_USAGE), also for what a construct refuses. */
export const APP_ERROR_EXIT = 2;

let appName = 'app';
let configFile: string | undefined;

/** Called once the config is loaded, so an error names the file its keys are in. */
export function setAppErrorContext(cloud: 'aws' | 'gcp', file: string): void {
  appName = `${cloud.toUpperCase()} app`;
  configFile = file;
}

/** `aws.vms[0].os: ...` — dskit's constructs start their messages with the config key. */
const KEY_PATH = /^[a-z][A-Za-z0-9]*(?:\[\d+\]|\.[A-Za-z][A-Za-z0-9_]*)*: /;

/** The one line printed for `err`. */
export function appErrorLine(err: unknown, file = configFile, app = appName): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0].trim() || String(err);
  const where = file ?? 'sandbox.yaml';
  if (KEY_PATH.test(message)) return `${where}: ${message}`;
  // aws-cdk-lib's ValidationError: `name` is the error code, `constructPath` the construct.
  const e = err as { name?: string; constructPath?: string } | undefined;
  const code = e?.name && e.name !== 'Error' ? ` (${e.name})` : '';
  const construct = typeof e?.constructPath === 'string' ? ` at ${e.constructPath}` : '';
  return (
    `${where}: the ${app} failed${construct}${code}: ${message}; ` +
    'no config key is known for this error: if the config looks right, run again with DSKIT_DEBUG=1 and report the stack as a dskit bug'
  );
}

function fail(err: unknown): never {
  process.stderr.write(`${appErrorLine(err)}\n`);
  if (process.env.DSKIT_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(APP_ERROR_EXIT);
}

export function installAppErrorHandler(): void {
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}
