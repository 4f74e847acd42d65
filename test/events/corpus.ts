/**
 * Generated odd-but-possible lines for the scanner-versus-SQL check: random mixes of the things
 * that make parsing hard (escapes, bare |, repeated or empty keys, spaces, LEEF delimiters,
 * syslog headers of every shape, times of every shape, control characters the SQL uses).
 * Deterministic: the same seed gives the same lines.
 */
import { rng } from '../../bench/events-data';

export function oddLines(count: number, seed = 1): string[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const headers = [
    '',
    '<134>',
    '<134>Nov 27 05:00:00 ip-10-60-1-10 ',
    'Nov  7 05:00:00 web-1 ',
    '<134>Jan 31 23:59:59 ',
    '<134>Feb 29 12:00:00 h ',
    '<134>Dec 31 23:30:00 h ',
    '<134>Xyz 27 05:00:00 h ',
    '<134>Nov 27 25:00:00 h ',
    '<134>1 2024-11-27T07:15:00Z ds-eval-gcp-db-1 ds_agent - - - ',
    '<134>1 2024-11-27T07:15:00.5+09:00 h app - - - ',
    '<134>1 2024-11-27T07:15:00.123456-0530 h app - - - ',
    '<134>1 - nilstamp app - - - ',
    '<134>1 2024-11-27T07:40:00Z - ds_agent - - - ',
    '2024-11-27 07:15:00 h ',
    '2024-11-27T05:00:00.123456+00:00 web-10 ',
    '2024-13-27T05:00:00Z badmonth ',
    '<134>web-9 ',
    'x y ',
    'host\t',
    '12 ',
    '<999>Nov 27 05:00:00 pri ',
    '{"json": true} ',
  ];
  const markers = ['CEF:0|', 'CEF: 0|', 'CEF:1|', 'CEF:10|', 'LEEF:1.0|', 'LEEF:2.0|', 'LEEF: 2.0|', 'LEEF:3.0|', 'CEF:|', 'CEF:x|'];
  const values = [
    '203.0.113.7', '', ' ', '  spaced  ', 'a b c', 'x\\=1', 'C:\\\\Windows\\\\', 'y|z', 'end\\', 'IDS:Deny', 'Deny', '22', '445', '65535',
    '-1', '-0', '007', '1234567890123456', '123456789012345678', '1234567890123456789', 'abc', '1e3', '+5', 'a=b', '\u0001x', 'p\u0002q', 'r\u0003s', 'é漢', '(no user)',
    '1704067200000', 'Mar 09 2024 17:05:21 GMT+09:00', 'Mar 9 2024 17:05:21', 'Mar 09 2024 17:05:21 UTC-0130', 'Foo 09 2024 17:05:21', 'Mar 09 2024 25:05:21', '17040672000',
  ];
  const keys = ['src', 'dst', 'spt', 'dpt', 'proto', 'act', 'cn1', 'dvchost', 'dvc', 'name', 'sev', 'rt', 'duser', 'suser', 'usrName', 'srcPort', 'dstPort', 'msg', 'cs1', 'x.y', 'k-1'];
  const headerFields = ['Trend Micro', 'Deep Security Agent', 'Deep Security Manager', '20.0', '21', '1008610', '10', '30', '40', '7000200', '850', 'abc', '', 'a\\|b', 'c\\\\', 'd\\x', '5', 'High', ' 5', 'é'];
  const lines: string[] = [];
  for (let n = 0; n < count; n++) {
    const marker = pick(markers);
    const leef = marker.startsWith('LEEF');
    const fields = Array.from({ length: leef ? 4 : 6 }, () => pick(headerFields));
    if (rand() < 0.1) fields.pop();
    let body: string;
    if (leef) {
      const delimiter = pick(['', '', '^', 'x09', '0x5E', 'x7C', '|', '=', '\\', 'x5C', 'x01', 'xD800', '¦', 'ab', 'x', 'X41']);
      const sep = delimiter === '' ? '\t' : delimiter === '^' ? '^' : delimiter === 'x09' ? '\t' : delimiter === '0x5E' ? '^' : delimiter === '¦' ? '¦' : pick(['\t', '^', '|']);
      const pairs = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => `${pick(keys)}=${pick(values)}`);
      body = (marker.startsWith('LEEF:2') || rand() < 0.2 ? `${delimiter}|` : '') + pairs.join(sep);
    } else {
      const pairs = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => `${pick(keys)}=${pick(values)}`);
      body = (rand() < 0.2 ? pick([' ', '  ', 'junk ', '=x ']) : '') + pairs.join(pick([' ', '  ', ' ']));
    }
    let line = `${pick(headers)}${marker}${fields.join('|')}|${body}`;
    if (rand() < 0.05) line += pick(['\r', '\n', ' trailing', '\r\nsecond line|x']);
    lines.push(line);
  }
  return lines;
}

/**
 * Odd lines without what sends a line to the TypeScript scanner (U+0000-U+0003, CR; and
 * backslashes unless `keepBackslashes`): the many shapes the WebAssembly fast path must read
 * itself, and read the same.
 */
export function plainOddLines(count: number, seed = 1, keepBackslashes = false): string[] {
  const drop = keepBackslashes ? /[\u0000-\u0003\r]/g : /[\\\u0000-\u0003\r]/g;
  return oddLines(count, seed).map((line) => line.replace(drop, ''));
}
