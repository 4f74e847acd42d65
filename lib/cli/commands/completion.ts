/** `dskit completion bash|zsh`: print the shell's completion script (see lib/cli/completion.ts). */
import { bashScript, completionModel, zshScript } from '../completion';
import { UsageError } from '../errors';
import { buildProgram, reportList, type CommandRun } from '../program';

export const SHELLS = ['bash', 'zsh'] as const;

/** Values the first positional argument of a command takes. */
function positional(path: string): readonly string[] {
  if (path === 'events query') return reportList().split('\n').map((l) => l.trim().split(/\s+/)[0]);
  if (path === 'completion') return SHELLS;
  return [];
}

export const run: CommandRun = async (ctx, _opts, args) => {
  const [shell] = args;
  if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`completion: got "${shell ?? ''}"; allowed: ${SHELLS.join(' | ')}`);
  const model = completionModel(
    buildProgram({ out: () => {}, err: () => {} }, () => {}),
    positional,
  );
  const script = shell === 'bash' ? bashScript(model) : zshScript(model);
  ctx.emit({ shell, script }, () => [script.replace(/\n$/, '')]);
  return 0;
};
