/** Test helpers: build configs from the bundled example with changes, without touching disk. */
import * as fs from 'node:fs';
import { parse, stringify } from 'yaml';
import { ConfigError, EXAMPLE_CONFIG, parseConfig, type SandboxConfig } from '../../lib/config';

export function exampleRaw(): Record<string, any> {
  return parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8'));
}

/** The example config with `edit` applied to its raw YAML object, validated as a user's file would be. */
export function configWith(edit: (raw: Record<string, any>) => void = () => {}): SandboxConfig {
  const raw = exampleRaw();
  edit(raw);
  return parseConfig(stringify(raw), 'test.yaml');
}

/** The problems the config check reports for the example with `edit` applied; [] when it is accepted. */
export function configProblems(edit: (raw: Record<string, any>) => void): string[] {
  const raw = exampleRaw();
  edit(raw);
  try {
    parseConfig(stringify(raw), 'sandbox.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}
