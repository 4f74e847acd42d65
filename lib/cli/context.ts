/**
 * What every command gets: the global flags, output streams, and the config (loaded on first use,
 * so `--help` and `synth` pay nothing for it).
 */
import type { Cloud, LoadedConfig } from '../config';
import { colourEnabled, painter, type ColourStream, type Painter } from './colour';
import { UsageError } from './errors';
import { configKeyOf, problem, type Problem } from './output';

export interface GlobalOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly managerUrl?: string;
}

export interface Output {
  /** A line for the user (stdout). */
  out(line: string): void;
  /** Progress, notices and errors (stderr), so `--json` stdout stays parseable. */
  err(line: string): void;
  /**
   * A progress line of a long wait that replaces the previous one on a terminal (stderr). Without
   * it, progress lines go to `err`.
   */
  status?(line: string): void;
  /** The streams behind `out` and `err`, for colour; absent when the output is captured. */
  readonly streams?: { readonly out?: ColourStream; readonly err?: ColourStream };
}

/** What a command reported for the JSON envelope (see output.ts): its data, and its problems. */
export class CommandReport {
  data: { value: unknown } | undefined;
  readonly problems: Problem[] = [];
  /** The envelope went out already (a long-running command prints it when it starts). */
  printed = false;
}

export class CommandContext {
  private loaded?: LoadedConfig;

  constructor(
    readonly options: GlobalOptions,
    readonly io: Output,
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly cwd: string = process.cwd(),
    /** The command path, e.g. `policy ensure`, for the JSON envelope. */
    readonly command = '',
    readonly report = new CommandReport(),
  ) {}

  /** The same command (flags, config, report) writing through other output. */
  withOutput(io: Output): CommandContext {
    const ctx = new CommandContext(this.options, io, this.env, this.cwd, this.command, this.report);
    ctx.loaded = this.loaded;
    return ctx;
  }

  get problems(): readonly Problem[] {
    return this.report.problems;
  }

  get json(): boolean {
    return this.options.json === true;
  }

  /** Styles for stdout: colour on a terminal (see colour.ts), never with --json. */
  get paint(): Painter {
    return painter(!this.json && colourEnabled(this.io.streams?.out, this.env));
  }

  /** Styles for stderr. */
  get paintErr(): Painter {
    return painter(colourEnabled(this.io.streams?.err, this.env));
  }

  /** Loads (once) and returns the config; a bad config throws ConfigError (exit 2). */
  get loadedConfig(): LoadedConfig {
    if (!this.loaded) {
      // Required on first use, not imported: the YAML parser and the schema stay off start-up.
      const { loadConfig } = require('../config/load') as typeof import('../config/load');
      this.loaded = loadConfig({ configPath: this.options.config, env: this.env, cwd: this.cwd });
      if (this.loaded.notice) this.io.err(this.loaded.notice);
      for (const warning of this.loaded.warnings) {
        this.io.err(warning);
        this.report.problems.push(problem('warning', warning, { key: configKeyOf(warning, this.loaded.file) }));
      }
    }
    return this.loaded;
  }

  get config() {
    return this.loadedConfig.config;
  }

  /** `--cloud aws|gcp|all` → the clouds configured in sandbox.yaml among those asked for. */
  clouds(flag: string | undefined): Cloud[] {
    const asked = flag ?? 'all';
    if (asked !== 'aws' && asked !== 'gcp' && asked !== 'all') {
      throw new UsageError(`--cloud: got "${asked}"; allowed: aws | gcp | all`);
    }
    const wanted: Cloud[] = asked === 'all' ? ['aws', 'gcp'] : [asked];
    const configured = wanted.filter((c) => this.config[c] !== undefined);
    if (asked !== 'all' && configured.length === 0) {
      throw new UsageError(`--cloud ${asked}: ${this.loadedConfig.file} has no \`${asked}:\` section`);
    }
    return configured;
  }

  /**
   * A command's result: with `--json` it becomes the envelope's `data` (printed once the command
   * ends, see output.ts), else the human lines are printed now.
   */
  emit(result: unknown, human: () => string[]): void {
    this.report.data = { value: result };
    if (!this.json) for (const line of human()) this.io.out(line);
  }

  /** A problem for the envelope (the command prints its own human lines). */
  problem(p: Problem): void {
    this.report.problems.push(p);
  }

  /** A warning: `dskit: warning: …` on stderr, and a warning in the envelope. */
  warn(message: string, opts: { key?: string; fix?: string } = {}): void {
    this.report.problems.push(problem('warning', message, opts));
    this.io.err(`dskit: ${this.paintErr('warn', 'warning')}: ${opts.key ? `${opts.key}: ` : ''}${message}${opts.fix ? `; ${opts.fix}` : ''}`);
  }

  /** A progress line of a long wait: rewritten in place on a terminal, appended elsewhere. */
  status(line: string): void {
    if (this.io.status) this.io.status(line);
    else this.io.err(line);
  }
}
