/**
 * Bad config, in a module of its own so the CLI can tell it apart from other errors without
 * loading the YAML parser and the schema (a command that never reads the config pays nothing).
 */

/** Bad config: one line per problem. Callers exit 2. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}
