/**
 * The `dskit` command line (SPEC §6). Each command's work lives in `commands/<name>.ts`, loaded
 * only when that command runs, so `dskit --help` and `dskit synth` stay fast.
 */
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/errors';
import { CommandContext, CommandReport, type GlobalOptions, type Output } from './context';
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, OperationError, UsageError } from './errors';
import { cloudOption, fromOption } from './options';
import { configKeyOf, envelope, formatEnvelope, jsonRequested, problem, type Problem } from './output';
import { streamsFor } from './progress';
import { oneLineWarnings } from './warnings';

export interface RunOptions {
  readonly io?: Output;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * Parse only: check the command, its flags and their values as a run would, and report what
   * would run instead of running it (the docs-command check, test/docs). Resolves to 0 or 2.
   */
  readonly parseOnly?: (parsed: ParsedCommand) => void;
}

/** What a parse-only run found. */
export interface ParsedCommand {
  readonly command: string;
  readonly options: Record<string, unknown>;
  readonly args: readonly string[];
}

/** A command module's entry point: returns the exit code. */
export type CommandRun<O = Record<string, unknown>> = (ctx: CommandContext, opts: O, args: string[]) => Promise<number>;

/** The package's version, read when asked (package.json is the one place it is written). */
export function packageVersion(): string {
  return (require(path.join(__dirname, '..', '..', 'package.json')) as { version: string }).version;
}

export const EXIT_CODES_HELP = [
  'Exit codes: 0 success; 1 the operation found a problem; 2 bad usage or bad config; 130 interrupted at a question.',
  'With --json, stdout holds one object {ok, command, exitCode, data, problems}, also on errors (docs/cli.md).',
].join('\n');

type Load = () => { run: CommandRun<any> };

/** A command's path below the program: `policy ensure`, `verify`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Every command and flag. `attach` gives each command its action; the tree is also what the
 * shell completion is generated from (completion.ts), so the two cannot disagree.
 */
export function buildProgram(io: Output, attach: (cmd: Command, load: Load) => void): Command {
  const program = new Command('dskit');
  // Inherited by every command made below: each one's --help lists the global flags too.
  program.configureHelp({ showGlobalOptions: true });
  program
    .description('Deep Security evaluation sandbox on AWS (CDK) and GCP (CDKTF)')
    .version(packageVersion(), '-V, --version', 'print the dskit version')
    .option('--config <file>', 'sandbox config (default: $DSKIT_CONFIG, ./sandbox.yaml, then the bundled example)')
    .option('--json', 'one JSON object on stdout: {ok, command, exitCode, data, problems}')
    .option('--manager-url <url>', "the manager's base URL (API at <url>/api); overrides manager.url")
    .showHelpAfterError('(run dskit <command> --help for usage)')
    .addHelpText('afterAll', `\n${EXIT_CODES_HELP}`)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
    });

  attach(
    program.command('synth').description('synthesize the apps (cdk.out/, cdktf.out/) — same as npm run synth').addOption(cloudOption()),
    () => require('./commands/synth'),
  );

  attach(
    program
      .command('preflight')
      .description('check config, cloud credentials and setup, API key, policy and group ids, token secret, event forwarding')
      .addOption(cloudOption()),
    () => require('./commands/preflight'),
  );

  attach(
    program
      .command('agent-script')
      .description("print a VM's boot script (user data on AWS, startup script on GCP)")
      .addOption(new Option('--cloud <cloud>', "the VM's cloud").choices(['aws', 'gcp']).makeOptionMandatory())
      .requiredOption('--vm <name>', 'VM name from sandbox.yaml')
      .option('--index <n>', "which of the VM's count, from 1", '1')
      .option('--readable', 'print any compressed part (AWS Linux user data) inline'),
    () => require('./commands/agent-script'),
  );

  const policy = program.command('policy').description('the sandbox policy in the manager');
  attach(policy.command('resolve').description('resolve policy.name to an id (cached in dskit.context.json)'), () => require('./commands/policy-resolve'));
  attach(
    policy
      .command('ensure')
      .description('create (or find) <sandbox>-policy under a parent, IPS in detect mode; vision-one: the event-based tasks that assign the policies; record what changed')
      .option('--parent <name>', 'parent policy name (required but for vision-one, where it is optional)'),
    () => require('./commands/policy-ensure'),
  );

  attach(
    program
      .command('verify')
      .description('the manager has exactly the expected computers, online, on the expected policy')
      .addOption(cloudOption())
      .option('--wait <duration>', 'keep checking until all is well or this long passes (e.g. 15m, 90s)'),
    () => require('./commands/verify'),
  );

  attach(
    program
      .command('teardown')
      .description("delete the sandbox's computers, undo manager changes, destroy the stacks, list leftovers")
      .addOption(cloudOption())
      .option('--yes', 'do not ask before deleting')
      .option('--manager-only', 'only the manager side; leave the stacks'),
    () => require('./commands/teardown'),
  );

  const rules = program.command('rules').description('IPS rule rollout: stage in detect, promote to prevent');
  attach(
    rules
      .command('stage')
      .description('assign newly released IPS rules to the sandbox policy in detect-only mode')
      .option('--released-since <date>', 'rules released on or after this date (2025-06-01, an ISO time, or 30d)')
      .option('--rule-ids <ids>', 'these rule identifiers instead, comma-separated (e.g. 1008610,1011935)')
      .option('--policy-id <id>', 'stage on this policy instead of the sandbox policy from `policy ensure`')
      .option('--all-platforms', 'also stage rules for platforms the sandbox has no VM of')
      .option('--dry-run', 'show what would be staged; change nothing'),
    () => require('./commands/rules-stage'),
  );
  attach(
    rules
      .command('promote')
      .description('promote to prevent the staged rules that stayed quiet')
      .addOption(fromOption('exported event files or directories (raw CEF/LEEF lines, gzip, JSON lines)'))
      .option('--quiet-hours <n>', 'hours a rule must have been staged without a hit', '24')
      .option('--dry-run', 'show what would be promoted; change nothing'),
    () => require('./commands/rules-promote'),
  );

  attach(
    program
      .command('exercise')
      .description("trigger each module's documented test event on every VM and see it land in Athena / BigQuery")
      .addOption(cloudOption())
      .option('--vm <name>', 'only this VM (a name from sandbox.yaml, or a display name)')
      .option('--modules <list>', 'these modules, comma-separated: am,wrs,ips,im,li,fw (default: those the manager has on)')
      .option('--wait <duration>', 'how long to wait for the events (e.g. 15m, 90s)', '15m'),
    () => require('./commands/exercise'),
  );

  const events = program.command('events').description('event reports, offline, on exported files (parsed once, then cached)');
  const eventsFrom = () => fromOption('exported event files or directories (raw CEF/LEEF lines, gzip, JSON or CSV exports)');
  const formatOption = () => new Option('--format <format>', 'output format (default: table; --json means json)').choices(['table', 'csv', 'json']);
  const noCacheOption = () => new Option('--no-cache', 'parse the files afresh and keep nothing (cache: $DSKIT_CACHE_DIR, else ~/.cache/dskit/events)');
  attach(
    events
      .command('query <report>')
      .description('run one report offline on exported files')
      .addOption(eventsFrom())
      .addOption(formatOption())
      .addOption(noCacheOption())
      .addHelpText('after', () => `\nReports:\n${reportList()}`),
    () => require('./commands/events-query'),
  );
  attach(
    events
      .command('report')
      .description('every report, offline; --html writes one self-contained page with charts')
      .addOption(eventsFrom())
      .addOption(formatOption())
      .addOption(noCacheOption())
      .option('--html <file>', 'write the reports as one self-contained HTML page with charts (instead of the tables; --format still prints)'),
    () => require('./commands/events-report'),
  );

  attach(
    program
      .command('demo-manager')
      .description('a loopback STAND-IN of the manager /api v1, seeded for this sandbox, to try the CLI without a tenant')
      .option('--port <n>', 'port on 127.0.0.1 (0: any free one)', '4119'),
    () => require('./commands/demo-manager'),
  );

  attach(
    program
      .command('completion')
      .description('print a shell completion script: eval "$(npx dskit completion bash)", or zsh')
      .argument('<shell>', 'bash or zsh'),
    () => require('./commands/completion'),
  );

  return program;
}

/** The report ids with their descriptions, for `events query --help`. */
export function reportList(): string {
  const events = require('../events') as typeof import('../events');
  return events.REPORT_IDS.map((id) => `  ${id.padEnd(24)}${events.reportById(id).description}`).join('\n');
}

/** Run the CLI with argv (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], runOpts: RunOptions = {}): Promise<number> {
  const streams = runOpts.io ? undefined : streamsFor(process.stdout, process.stderr);
  const io: Output = runOpts.io ?? streams!;
  // The real process: library warnings as one line each (warnings.ts).
  if (streams) oneLineWarnings(io.err);
  const env = runOpts.env ?? process.env;
  const json = jsonRequested(argv);
  let exitCode = EXIT_OK;
  let ctx: CommandContext | undefined;

  const program = buildProgram(io, (cmd, load) => {
    cmd.action(async (...received: unknown[]) => {
      const self = received[received.length - 1] as Command;
      const args = received.slice(0, -2).filter((a): a is string => typeof a === 'string');
      if (runOpts.parseOnly) {
        runOpts.parseOnly({ command: commandPath(self), options: { ...self.optsWithGlobals() }, args });
        return;
      }
      const global = program.opts<GlobalOptions>();
      ctx = new CommandContext(global, counted(io, json), env, runOpts.cwd ?? process.cwd(), commandPath(self));
      // require, not import(): under tsx's CommonJS hook a dynamic import() is resolved as ESM and
      // would need file extensions; a lazy require keeps each command's dependencies off start-up.
      const { run } = load();
      exitCode = await run(ctx, self.opts(), args);
    });
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (json && ctx && !ctx.report.printed && !(ctx.io as CountedOutput).wroteOwnJson(ctx.report)) {
      io.out(formatEnvelope(envelope(ctx.command, exitCode, ctx.report.data?.value ?? null, ctx.problems)));
    }
    return exitCode;
  } catch (err) {
    return handleError(err, io, env, json ? { command: ctx?.command ?? guessCommand(program, argv), report: ctx?.report } : undefined);
  } finally {
    streams?.endStatus();
  }
}

interface CountedOutput extends Output {
  /**
   * True when, with --json, the command printed its own JSON on stdout and emitted nothing: then
   * no envelope follows, so stdout stays one JSON document (a command not yet moved to `emit`).
   */
  wroteOwnJson(report: CommandReport): boolean;
}

function counted(io: Output, json: boolean): CountedOutput {
  let writes = 0;
  return {
    ...io,
    out: (line) => {
      writes++;
      io.out(line);
    },
    err: (line) => io.err(line),
    wroteOwnJson: (report) => json && writes > 0 && report.data === undefined,
  };
}

/** The command path of argv as far as it names commands, for errors raised while parsing. */
export function guessCommand(program: Command, argv: readonly string[]): string {
  const names: string[] = [];
  let at: Command = program;
  const takesValue = (cmd: Command, flag: string) => [...cmd.options, ...program.options].some((o) => (o.long === flag || o.short === flag) && (o.required || o.optional));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (!a.includes('=') && takesValue(at, a)) i++;
      continue;
    }
    const sub = at.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    names.push(sub.name());
    at = sub;
  }
  return names.join(' ');
}

function errorProblems(err: unknown, command: string): Problem[] {
  if (err instanceof ConfigError) return err.problems.map((line) => problem('error', line, { key: configKeyOf(line, err.file) }));
  // A command group without its subcommand: commander shows the help, its message is "(outputHelp)".
  if (err instanceof CommanderError && err.code === 'commander.help') {
    const which = command ? `dskit ${command}` : 'dskit';
    return [problem('error', `${which}: a command is required (they are listed on stderr)`, { fix: `run ${which} --help` })];
  }
  if (err instanceof CommanderError) {
    const flag = /'(--?[\w-]+)/.exec(err.message)?.[1] ?? null;
    return [problem('error', err.message.replace(/^error: /, ''), { key: flag, fix: 'run dskit <command> --help for usage' })];
  }
  const message = err instanceof Error ? err.message : String(err);
  const key = err instanceof UsageError ? (/^(--[\w-]+|<[\w-]+>|[a-z][\w]*(?:\.[\w[\]]+)+):/.exec(message)?.[1] ?? null) : null;
  return [problem('error', message, { key })];
}

function handleError(err: unknown, io: Output, env: NodeJS.ProcessEnv, json: { command: string; report?: CommandReport } | undefined): number {
  let code: number;
  if (err instanceof CommanderError) {
    // --help and --version exit 0 through the same path; commander already printed the message.
    if (err.exitCode === 0) return EXIT_OK;
    code = EXIT_USAGE;
  } else if (err instanceof ConfigError) {
    for (const line of err.problems) io.err(line);
    code = EXIT_USAGE;
  } else if (err instanceof UsageError) {
    io.err(`dskit: ${err.message}`);
    code = EXIT_USAGE;
  } else if (err instanceof OperationError) {
    io.err(`dskit: ${err.message}`);
    code = EXIT_PROBLEM;
  } else {
    // A bug in dskit: one line; DSKIT_DEBUG=1 adds the stack for a bug report.
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    io.err(`dskit: unexpected error (a bug in dskit): ${message}${env.DSKIT_DEBUG === '1' ? '' : '; run again with DSKIT_DEBUG=1 to see where'}`);
    if (env.DSKIT_DEBUG === '1' && err instanceof Error && err.stack) io.err(err.stack);
    code = EXIT_PROBLEM;
  }
  if (json && !json.report?.printed) {
    const problems = [...(json.report?.problems ?? []), ...errorProblems(err, json.command)];
    io.out(formatEnvelope(envelope(json.command, code, json.report?.data?.value ?? null, problems)));
  }
  return code;
}
