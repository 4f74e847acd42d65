/**
 * The trigger scripts as Run Command sends them: agents/linux/exercise-triggers.sh (run by bash
 * from AWS-RunShellScript, whose commands run under /bin/sh) and agents/windows/exercise-triggers.ps1
 * (AWS-RunPowerShellScript), with the sandbox's proxy and a call for this run's modules.
 */
import { agentSource } from '../agent/sources';
import { bashQuote, psQuote, stripPowerShellComments, stripShellComments } from '../agent/shell';
import type { ModuleKey, Platform } from './catalogue';
import { isRunId } from './protocol';

export const LINUX_TRIGGERS = 'linux/exercise-triggers.sh';
export const WINDOWS_TRIGGERS = 'windows/exercise-triggers.ps1';
const HEREDOC_END = 'DSKIT_EXERCISE_END';

export function triggerScript(platform: Platform, run: string, modules: readonly ModuleKey[], proxy: string): string {
  if (!isRunId(run)) throw new RangeError(`exercise run id: got ${JSON.stringify(run)}`);
  if (platform === 'linux') {
    const body = stripShellComments(agentSource(LINUX_TRIGGERS));
    if (body.split('\n').includes(HEREDOC_END)) throw new Error(`${LINUX_TRIGGERS} holds the line ${HEREDOC_END}`);
    return [
      `bash <<'${HEREDOC_END}'`,
      'set -uo pipefail',
      `PROXY=${bashQuote(proxy)}`,
      body.trimEnd(),
      `dskit_exercise_run ${bashQuote(run)} ${bashQuote(modules.join(','))}`,
      HEREDOC_END,
    ].join('\n');
  }
  return [
    "$ProgressPreference = 'SilentlyContinue'",
    `$Proxy = ${psQuote(proxy)}`,
    stripPowerShellComments(agentSource(WINDOWS_TRIGGERS)).trimEnd(),
    `Invoke-DskitExercise ${psQuote(run)} ${psQuote(modules.join(','))}`,
  ].join('\n');
}
