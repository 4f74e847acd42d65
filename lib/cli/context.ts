/**
 * What every command gets: the global flags, output streams, and the config (loaded on first use,
 * so `--help` and `synth` pay nothing for it).
 */
import type { Cloud, LoadedConfig } from '../config';
import { UsageError } from './errors';

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
}

export class CommandContext {
  private loaded?: LoadedConfig;

  constructor(
    readonly options: GlobalOptions,
    readonly io: Output,
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly cwd: string = process.cwd(),
  ) {}

  get json(): boolean {
    return this.options.json === true;
  }

  /** Loads (once) and returns the config; a bad config throws ConfigError (exit 2). */
  get loadedConfig(): LoadedConfig {
    if (!this.loaded) {
      // Required on first use, not imported: the YAML parser and the schema stay off start-up.
      const { loadConfig } = require('../config/load') as typeof import('../config/load');
      this.loaded = loadConfig({ configPath: this.options.config, env: this.env, cwd: this.cwd });
      if (this.loaded.notice) this.io.err(this.loaded.notice);
      for (const warning of this.loaded.warnings) this.io.err(warning);
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

  /** Print a result: JSON when `--json`, else the human lines. */
  emit(result: unknown, human: () => string[]): void {
    if (this.json) this.io.out(JSON.stringify(result, null, 2));
    else for (const line of human()) this.io.out(line);
  }
}
