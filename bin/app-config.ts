/**
 * Config loading for the CDK and CDKTF apps: the same lookup as the CLI (DSKIT_CONFIG is how a
 * user points `cdk deploy` at another file); a bad config exits 2 before anything is synthesized.
 */
import { ConfigError, loadConfig, type Cloud, type SandboxConfig } from '../lib/config';

export interface AppConfig {
  readonly config: SandboxConfig;
  /** The file it came from, for the deploy-time refusal of placeholder values. */
  readonly file: string;
}

export function loadAppConfig(cloud: Cloud): AppConfig {
  try {
    const loaded = loadConfig();
    // A notice, not an error: the cdktf CLI labels every line its app writes to stderr [ERROR]
    // (@cdktf/commons exec → processLoggerError), so the GCP app says it on stdout.
    if (loaded.notice) (cloud === 'gcp' ? process.stdout : process.stderr).write(`${loaded.notice}\n`);
    if (!loaded.config[cloud]) {
      process.stderr.write(`${loaded.file}: ${cloud}: missing; add a \`${cloud}:\` section to synthesize the ${cloud.toUpperCase()} app\n`);
      process.exit(2);
    }
    return { config: loaded.config, file: loaded.file };
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`${line}\n`);
      process.exit(2);
    }
    throw err;
  }
}
