/**
 * Options several commands share, defined once so they parse and read the same everywhere.
 */
import { Option } from 'commander';

export const CLOUD_CHOICES = ['aws', 'gcp', 'all'] as const;

export const cloudOption = (dflt = 'all') => new Option('--cloud <cloud>', 'which cloud').choices([...CLOUD_CHOICES]).default(dflt);

/** `-` in `--from`: standard input. */
export const STDIN_PATH = '-';

/**
 * `--from <path>`, repeatable (`--from a.log --from exported/`), `-` for standard input. One value
 * per flag, not a variadic list: a variadic `--from` takes every word after it, so
 * `events query --from a.log top-source-ips` would read the report name as a file.
 */
export function fromOption(what: string): Option {
  return new Option('--from <path>', `${what}; repeat --from for more, - reads standard input`)
    .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .makeOptionMandatory();
}
