/**
 * The `dskit` command line (SPEC §6). Each command's work lives in `commands/<name>.ts`, loaded
 * only when that command runs, so `dskit --help` and `dskit synth` stay fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/errors';
import { CommandContext, type GlobalOptions, type Output } from './context';
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, OperationError, UsageError } from './errors';

export interface RunOptions {
  readonly io?: Output;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

const cloudOption = (dflt = 'all') =>
  new Option('--cloud <cloud>', 'which cloud').choices(['aws', 'gcp', 'all']).default(dflt);

/** A command module's entry point: returns the exit code. */
export type CommandRun<O = Record<string, unknown>> = (ctx: CommandContext, opts: O, args: string[]) => Promise<number>;

const defaultIo: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Run the CLI with argv (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], runOpts: RunOptions = {}): Promise<number> {
  const io = runOpts.io ?? defaultIo;
  let exitCode = EXIT_OK;
  const program = new Command('dskit');

  // require, not import(): under tsx's CommonJS hook a dynamic import() is resolved as ESM and
  // would need file extensions; a lazy require keeps each command's dependencies off start-up.
  const action =
    (load: () => { run: CommandRun<any> }) =>
    async (...received: unknown[]) => {
      const cmd = received[received.length - 1] as Command;
      const opts = cmd.opts();
      const args = received.slice(0, -2).filter((a): a is string => typeof a === 'string');
      const ctx = new CommandContext(program.opts<GlobalOptions>(), io, runOpts.env ?? process.env, runOpts.cwd ?? process.cwd());
      const { run } = load();
      exitCode = await run(ctx, opts, args);
    };

  program
    .description('Deep Security evaluation sandbox on AWS (CDK) and GCP (CDKTF)')
    .option('--config <file>', 'sandbox config (default: $DSKIT_CONFIG, ./sandbox.yaml, then the bundled example)')
    .option('--json', 'machine-readable output on stdout')
    .option('--manager-url <url>', "the manager's base URL (API at <url>/api); overrides manager.url")
    .showHelpAfterError('(run dskit --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    });

  program
    .command('synth')
    .description("synthesize the apps (cdk.out/, cdktf.out/) — same as npm run synth")
    .addOption(cloudOption())
    .action(action(() => require('./commands/synth')));

  program
    .command('preflight')
    .description('check config, API key, policy and group ids, token secret, agent-initiated activation')
    .addOption(cloudOption())
    .action(action(() => require('./commands/preflight')));

  program
    .command('agent-script')
    .description("print a VM's boot script (user data on AWS, startup script on GCP)")
    .addOption(new Option('--cloud <cloud>', 'the VM\'s cloud').choices(['aws', 'gcp']).makeOptionMandatory())
    .requiredOption('--vm <name>', 'VM name from sandbox.yaml')
    .option('--index <n>', 'which of the VM\'s count, from 1', '1')
    .option('--readable', 'print any compressed part (AWS Linux user data) inline')
    .action(action(() => require('./commands/agent-script')));

  const policy = program.command('policy').description('the sandbox policy in the manager');
  policy
    .command('resolve')
    .description('resolve policy.name to an id (cached in dskit.context.json)')
    .action(action(() => require('./commands/policy-resolve')));
  policy
    .command('ensure')
    .description('create (or find) <sandbox>-policy under a parent, IPS in detect mode; vision-one: the event-based tasks that assign the policies; record what changed')
    .option('--parent <name>', 'parent policy name (required but for vision-one, where it is optional)')
    .action(action(() => require('./commands/policy-ensure')));

  program
    .command('verify')
    .description('the manager has exactly the expected computers, online, on the expected policy')
    .addOption(cloudOption())
    .option('--wait <duration>', 'keep checking until all is well or this long passes (e.g. 15m, 90s)')
    .action(action(() => require('./commands/verify')));

  program
    .command('teardown')
    .description("delete the sandbox's computers, undo manager changes, destroy the stacks, list leftovers")
    .addOption(cloudOption())
    .option('--yes', 'do not ask before deleting')
    .option('--manager-only', 'only the manager side; leave the stacks')
    .action(action(() => require('./commands/teardown')));

  const rules = program.command('rules').description('IPS rule rollout: stage in detect, promote to prevent');
  rules
    .command('stage')
    .description('assign newly released IPS rules to the sandbox policy in detect-only mode')
    .option('--released-since <date>', 'rules released on or after this date (2025-06-01, an ISO time, or 30d)')
    .option('--rule-ids <ids>', 'these rule identifiers instead, comma-separated (e.g. 1008610,1011935)')
    .option('--policy-id <id>', 'stage on this policy instead of the sandbox policy from `policy ensure`')
    .option('--all-platforms', 'also stage rules for platforms the sandbox has no VM of')
    .option('--dry-run', 'show what would be staged; change nothing')
    .action(action(() => require('./commands/rules-stage')));
  rules
    .command('promote')
    .description('promote to prevent the staged rules that stayed quiet')
    .requiredOption('--from <files...>', 'exported event files or directories (raw CEF/LEEF lines, gzip, JSON lines)')
    .option('--quiet-hours <n>', 'hours a rule must have been staged without a hit', '24')
    .option('--dry-run', 'show what would be promoted; change nothing')
    .action(action(() => require('./commands/rules-promote')));

  program
    .command('exercise')
    .description("trigger each module's documented test event on every VM and see it land in Athena / BigQuery")
    .addOption(cloudOption())
    .option('--vm <name>', 'only this VM (a name from sandbox.yaml, or a display name)')
    .option('--modules <list>', 'these modules, comma-separated: am,wrs,ips,im,li,fw (default: those the manager has on)')
    .option('--wait <duration>', 'how long to wait for the events (e.g. 15m, 90s)', '15m')
    .action(action(() => require('./commands/exercise')));

  const events = program.command('events').description('event reports, offline, on exported files (parsed once, then cached)');
  const fromOption = () => new Option('--from <files...>', 'exported event files or directories, or - for standard input (raw CEF/LEEF lines, gzip, JSON or CSV exports)').makeOptionMandatory();
  const formatOption = () => new Option('--format <format>', 'output format (default: table; --json means json)').choices(['table', 'csv', 'json']);
  const noCacheOption = () => new Option('--no-cache', 'parse the files afresh and keep nothing (cache: $DSKIT_CACHE_DIR, else ~/.cache/dskit/events)');
  events
    .command('query <report>')
    .description('run one report offline on exported files')
    .addOption(fromOption())
    .addOption(formatOption())
    .addOption(noCacheOption())
    .action(action(() => require('./commands/events-query')));
  events
    .command('report')
    .description('every report, offline; --html writes one self-contained page with charts')
    .addOption(fromOption())
    .addOption(formatOption())
    .addOption(noCacheOption())
    .option('--html <file>', 'also write the reports as one self-contained HTML page with charts')
    .action(action(() => require('./commands/events-report')));

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    return handleError(err, io);
  }
}

function handleError(err: unknown, io: Output): number {
  if (err instanceof CommanderError) {
    // --help and --version exit 0 through the same path; commander already printed the message.
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (err instanceof ConfigError) {
    for (const line of err.problems) io.err(line);
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    io.err(`dskit: ${err.message}`);
    return EXIT_USAGE;
  }
  if (err instanceof OperationError) {
    io.err(`dskit: ${err.message}`);
    return EXIT_PROBLEM;
  }
  io.err(`dskit: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return EXIT_PROBLEM;
}
