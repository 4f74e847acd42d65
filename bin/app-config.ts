/**
 * Config loading for the CDK and CDKTF apps: the same lookup as the CLI (DSKIT_CONFIG is how a
 * user points `cdk deploy` at another file); a bad config, or a damaged dskit.context.json, exits 2
 * before anything is synthesized. Nothing here asks the manager: `cdk destroy` and `cdktf destroy`
 * synthesize too, and must work after teardown removed the manager side.
 */
import { ConfigError, loadConfig, type Cloud, type SandboxConfig } from '../lib/config';
import { readContext } from '../lib/context';
import { setAppErrorContext } from './app-errors';

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
    const say = (line: string) => (cloud === 'gcp' ? process.stdout : process.stderr).write(`${line}\n`);
    if (loaded.notice) say(loaded.notice);
    // `dskit synth` printed them already, before running the apps.
    if (process.env.DSKIT_CONFIG_WARNED !== '1') loaded.warnings.forEach(say);
    setAppErrorContext(cloud, loaded.file);
    if (!loaded.config[cloud]) {
      process.stderr.write(`${loaded.file}: ${cloud}: missing; add a \`${cloud}:\` section to synthesize the ${cloud.toUpperCase()} app\n`);
      process.exit(2);
    }
    // dskit.context.json is read during synth (cached policy ids): a damaged one is checked here,
    // so it is one line and exit 2 like a bad config, not a stack trace from inside a construct.
    readContext();
    return { config: loaded.config, file: loaded.file };
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`${line}\n`);
      process.exit(2);
    }
    throw err;
  }
}
