/**
 * Every shell command of README.md and docs/*.md, and what can be done with it here: the fenced
 * `sh`/`bash`/`shell` blocks, continuation lines joined, comments dropped, split into simple
 * commands at `|`, `&&`, `||` and `;` (shell-quote parses the words, as a POSIX shell would split
 * them; `$(...)` substitutions stand for one word), each classified by its program:
 * - `npx dskit …`: parsed by the CLI's own parser (the command, its flags and their values must
 *   exist), then run here when it can run offline — against the demo manager and the bundled
 *   example — with the exit code the docs promise;
 * - `npx cdk …` / `npx cdktf …`: the subcommand must be one the pinned CLI has;
 * - `npm run X`: the script must exist; `npm ci` / `npm test` / `npm run synth` are what .ci/run does;
 * - `cp`: run in the work directory;
 * - everything else is on the allow-list below, each with its reason, or the test fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseShell } from 'shell-quote';

export interface DocCommand {
  /** `README.md`, `docs/gcp.md`. */
  readonly file: string;
  /** The line its block's first line is on. */
  readonly line: number;
  /** The simple command as written (continuations joined). */
  readonly text: string;
  /** Its words, environment assignments (`CHECKPOINT_DISABLE=1`) left out. */
  readonly words: readonly string[];
}

/** Programs that cannot run here, and why. */
export const ALLOWED: Readonly<Record<string, string>> = {
  aws: 'the AWS CLI with an AWS account: CI has neither (the commands it wraps are checked by preflight against doubles)',
  gcloud: 'the gcloud CLI with a Google Cloud project: CI has neither',
  bq: "BigQuery's bq CLI with a Google Cloud project: CI has neither",
  grep: 'filters the output of a cloud CLI in the same pipeline',
  $EDITOR: 'opens your editor',
  export: 'a shell builtin: sets a variable for the commands after it',
  read: 'a shell builtin: reads the token from the terminal',
  unset: 'a shell builtin',
  printf: 'a shell builtin: pipes the token into the cloud CLI after it',
  eval: 'a shell builtin: loads the completion script (the dskit command inside it is checked and run)',
  source: 'a shell builtin: loads the completion script (the dskit command inside it is checked and run)',
};

/** `npm` subcommands the docs name and what .ci/run does with them. */
export const NPM_ALLOWED: Readonly<Record<string, string>> = {
  ci: '.ci/run runs `npm ci` on a clean clone before the tests',
  test: '.ci/run runs `npm test`, which runs this very test',
  'run synth': '.ci/run runs `npm run synth` before the tests (test/apps/synth.test.ts runs dskit synth too)',
  'run bench': 'minutes of measurements, not a test (SPEC: speed is measured by npm run bench)',
  'run demo-manager': 'serves until stopped: test/cli/demo-manager.test.ts runs it',
};

const SHELL_BLOCK = /^```(sh|bash|shell)\n([\s\S]*?)^```/gm;

export function docFiles(root: string): string[] {
  return ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

export function docCommands(root: string, files = docFiles(root)): DocCommand[] {
  const out: DocCommand[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(SHELL_BLOCK)) {
      const line = text.slice(0, m.index).split('\n').length + 1;
      const joined = m[2].replace(/\\\n\s*/g, ' ');
      // A $(...) or <(...) substitution is one word of the command around it, and a command of its own.
      const lines = joined.split('\n').flatMap((l) => [l, ...[...l.matchAll(/[$<]\(([^)]*)\)/g)].map((s) => s[1])]);
      for (const raw of lines) {
        const source = raw.replace(/[$<]\([^)]*\)/g, 'SUBSTITUTED');
        let words: string[] = [];
        const flush = (sourceText: string) => {
          const assignments = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
          if (assignments >= 0) out.push({ file, line, text: sourceText.trim(), words: words.slice(assignments) });
          words = [];
        };
        for (const token of parseShell(source, (name) => `$${name}`)) {
          if (typeof token === 'string') words.push(token);
          else if ('comment' in token) break;
          else if ('op' in token && ['|', '&&', '||', ';'].includes(token.op)) flush(raw);
          else if ('op' in token) words.push(token.op);
        }
        flush(raw);
      }
    }
  }
  return out;
}

/** `npx dskit …`, `node bin/dskit.js …`: the dskit arguments, else undefined. */
export function dskitArgs(words: readonly string[]): string[] | undefined {
  if (words[0] === 'npx' && words[1] === 'dskit') return words.slice(2);
  if (words[0] === 'node' && words[1] === 'bin/dskit.js') return words.slice(2);
  return undefined;
}
