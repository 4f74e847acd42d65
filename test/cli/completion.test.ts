/**
 * `dskit completion bash|zsh`: the printed scripts run in the real shells, completing what the
 * CLI parses (commands, each command's and the global flags, --cloud's values, files after
 * --config/--from, report names), skipping flag values when finding the command.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPORT_IDS } from '../../lib/events';
import { runDskit } from '../helpers/cli';

const hasZsh = spawnSync('zsh', ['--version']).status === 0;
if (!hasZsh) {
  if (process.env.CI === 'true') throw new Error('zsh is missing: .ci/run installs it (apt-get install zsh)');
  console.warn('SKIPPING the zsh completion tests: zsh is not installed (apt-get install zsh); under CI=true they run');
}

let dir: string;
let bash: string;
let zsh: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-completion-'));
  fs.writeFileSync(path.join(dir, 'lab.yaml'), '');
  fs.writeFileSync(path.join(dir, 'day1.log'), '');
  const b = runDskit(['completion', 'bash']);
  const z = runDskit(['completion', 'zsh']);
  expect([b.code, z.code]).toEqual([0, 0]);
  bash = path.join(dir, 'dskit.bash');
  zsh = path.join(dir, '_dskit');
  fs.writeFileSync(bash, b.stdout);
  fs.writeFileSync(zsh, z.stdout);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What bash offers after `words` (the last one being completed). */
function bashComplete(...words: string[]): string[] {
  const script = `source ${JSON.stringify(bash)}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _dskit_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '-c', script], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** What zsh's function adds as candidates (compadd recorded, _files marked) after `words`. */
function zshComplete(...words: string[]): string[] {
  const script = [
    `source ${JSON.stringify(zsh)}`,
    'compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }',
    "_files() { print -r -- '<files>'; }",
    `words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}`,
    '_dskit',
  ].join('\n');
  const r = spawnSync('zsh', ['-f', '-c', script], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  // compadd filters by the word being completed itself; the function hands it every candidate.
  const prefix = words[words.length - 1];
  return r.stdout
    .split('\n')
    .filter((c) => c && (c === '<files>' || c.startsWith(prefix)))
    .sort();
}

describe('bash', () => {
  test('the script parses', () => {
    expect(spawnSync('bash', ['-n', bash]).status).toBe(0);
  });

  test('commands, subcommands and report names', () => {
    expect(bashComplete('dskit', 'pol')).toEqual(['policy']);
    expect(bashComplete('dskit', 'policy', '')).toEqual(['ensure', 'resolve']);
    expect(bashComplete('dskit', 'events', 'query', '')).toEqual([...REPORT_IDS].sort());
    expect(bashComplete('dskit', '')).toEqual(expect.arrayContaining(['synth', 'preflight', 'verify', 'teardown', 'demo-manager', 'completion']));
  });

  test("a command's flags and the global ones; a flag's choices; files for --config and --from", () => {
    expect(bashComplete('dskit', 'verify', '--')).toEqual(['--cloud', '--config', '--help', '--json', '--manager-url', '--wait']);
    expect(bashComplete('dskit', 'teardown', '--cloud', '')).toEqual(['all', 'aws', 'gcp']);
    expect(bashComplete('dskit', '--config', 'la')).toEqual(['lab.yaml']);
    expect(bashComplete('dskit', 'rules', 'promote', '--from', 'd')).toEqual(['day1.log', 'dskit.bash']);
    expect(bashComplete('dskit', 'verify', '--wait', '')).toEqual([]);
  });

  test("a flag's value is skipped when finding the command, even when it is a command's name", () => {
    expect(bashComplete('dskit', '--config', 'policy', 've')).toEqual(['verify']);
    expect(bashComplete('dskit', '--config', 'lab.yaml', 'rules', 'st')).toEqual(['stage']);
  });
});

(hasZsh ? describe : describe.skip)('zsh', () => {
  test('the script parses', () => {
    expect(spawnSync('zsh', ['-n', zsh]).status).toBe(0);
  });

  test('the same candidates as bash', () => {
    expect(zshComplete('dskit', 'pol')).toEqual(['policy']);
    expect(zshComplete('dskit', 'policy', '')).toEqual(['ensure', 'resolve']);
    expect(zshComplete('dskit', 'events', 'query', '')).toEqual([...REPORT_IDS].sort());
    expect(zshComplete('dskit', 'verify', '--')).toEqual(['--cloud', '--config', '--help', '--json', '--manager-url', '--wait']);
    expect(zshComplete('dskit', 'teardown', '--cloud', '')).toEqual(['all', 'aws', 'gcp']);
    expect(zshComplete('dskit', '--config', '')).toEqual(['<files>']);
    expect(zshComplete('dskit', '--config', 'policy', 've')).toEqual(['verify']);
  });

  test('loaded with compinit, it registers itself for dskit', () => {
    const r = spawnSync('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D; source ${JSON.stringify(zsh)}; print -r -- $_comps[dskit]`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('_dskit');
  });
});

test('an unknown shell is a usage error naming the allowed ones', () => {
  const r = runDskit(['completion', 'fish']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('completion: got "fish"; allowed: bash | zsh');
});
