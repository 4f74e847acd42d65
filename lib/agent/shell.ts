/** Embedding values in bash and PowerShell source safely. */

/** A bash single-quoted word: nothing inside is expanded; `'` is closed, escaped and reopened. */
export function bashQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A PowerShell single-quoted string: nothing inside is expanded; `'` doubles. */
export function psQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

/**
 * Drop whole-line comments and blank lines (shellcheck directives and the shebang stay), to fit
 * EC2's 16 KB user data. Safe for our sources: no heredoc in agents/ holds a `#` line or a blank
 * line that matters.
 */
export function stripShellComments(source: string): string {
  return source
    .split('\n')
    .filter((line) => !/^\s*$/.test(line) && !(/^\s*#/.test(line) && !/^\s*# shellcheck (disable|source)/.test(line) && !line.startsWith('#!')))
    .join('\n')
    .concat('\n');
}

/**
 * Drop every line's leading indentation, to fit EC2's 16 KB user data (about 1 % of the compressed
 * script). Here-document bodies keep theirs (a YAML or JSON one may need it). Safe for agents/: no
 * quoted string there spans lines, which test/agent/render.test.ts checks by comparing bash's own
 * canonical listing (`declare -f`) of every function before and after.
 */
export function dedentShell(source: string): string {
  let hereEnd: string | undefined;
  return source
    .split('\n')
    .map((line) => {
      if (hereEnd !== undefined) {
        if (line === hereEnd) hereEnd = undefined;
        return line;
      }
      const here = /<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?\s*$/.exec(line);
      if (here) hereEnd = here[1];
      return line.replace(/^[ \t]+/, '');
    })
    .join('\n');
}

/** PowerShell: whole-line `#` comments and blank lines go; here-strings in agents/ hold neither. */
export function stripPowerShellComments(source: string): string {
  return source
    .split(/\r?\n/)
    .filter((line) => !/^\s*$/.test(line) && !/^\s*#/.test(line))
    .join('\n')
    .concat('\n');
}
