/**
 * A hostile manager on loopback: each fault is a server that answers wrongly on purpose — bad
 * shapes, path-character and non-integer ids, ids that never stop rising, huge pages, a drip, a
 * hang, 429 storms, redirects to another origin, echoed keys of any length, control characters in
 * names — run against the client in-process and, for what users see, against the `dskit` CLI.
 *
 * A fault is HELD when the call ends within its bound with the expected outcome (a one-line error
 * of dskit's own kinds, or a correct result), no crash, nothing sent to the redirect target, and
 * the key nowhere in what dskit printed, returned or threw. A SECRET LEAKED is any fault where the
 * key showed up there or reached the other listener. The last test prints the tally and requires
 * every fault held and no secret leaked.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import {
  ManagerApiError,
  ManagerClient,
  ManagerSetupError,
  ManagerUnreachableError,
  insecureTlsTransport,
  type ManagerClientProps,
} from '../../lib/manager';
import { runDskitAsync, sandboxRaw } from './harness';
import { rawServer, recordingListener, selfSignedTls, type RawServer } from './hostile-support';

const LONG_KEY = 'hostile-KEY-0a1b2c3d4e5f/+=9z8y7x6w';
const EXPECTED = ['ds-eval-aws-web-1', 'ds-eval-aws-web-2', 'ds-eval-aws-win-1', 'ds-eval-gcp-web-1'];

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface Outcome {
  readonly error?: unknown;
  readonly value?: unknown;
  /** Everything dskit showed: the error message, the value, the CLI's stdout and stderr. */
  readonly text: string;
  readonly ms: number;
  readonly code?: number;
  readonly stdout?: string;
  readonly requests: string[];
}

interface Fault {
  readonly area: string;
  readonly name: string;
  readonly handler: Handler;
  readonly key?: string;
  readonly tls?: boolean;
  /** Run against the client, or the CLI (args after --config/--manager-url). */
  readonly client?: (c: ManagerClient) => Promise<unknown>;
  readonly clientProps?: Partial<ManagerClientProps>;
  readonly cli?: readonly string[];
  readonly boundMs?: number;
  /** Why it broke, or undefined when it held (beyond the common checks). */
  readonly check: (o: Outcome) => string | undefined;
}

// ---- hostile answers ------------------------------------------------------------------------

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_req, res) => send(res, status, body, headers);

/** The id a search asks to page after. */
function after(body: string): number {
  try {
    const f = JSON.parse(body) as { searchCriteria?: { idTest?: string; idValue?: number }[] };
    return f.searchCriteria?.find((c) => c.idTest)?.idValue ?? 0;
  } catch {
    return 0;
  }
}

/** The `prefix%` of a displayName criterion, if the search has one. */
function prefixOf(body: string): string | undefined {
  try {
    const f = JSON.parse(body) as { searchCriteria?: { fieldName?: string; stringValue?: string }[] };
    const v = f.searchCriteria?.find((c) => c.fieldName === 'displayName')?.stringValue;
    return v?.replace(/%$/, '').replace(/\\(.)/g, '$1');
  } catch {
    return undefined;
  }
}

/** A search that honours paging and a name prefix over `items`, and answers `others` for any other path. */
function searchOf(wrapper: string, items: Record<string, unknown>[], others: Handler = answer(404, { message: 'Not found' })): Handler {
  return (req, res, body) => {
    if (!req.url?.includes('/search')) return others(req, res, body);
    // The first page holds everything (bad ids included); later pages honour idTest.
    const last = after(body);
    const prefix = prefixOf(body);
    const named = prefix === undefined ? items : items.filter((i) => typeof i.displayName !== 'string' || i.displayName.startsWith(prefix));
    send(res, 200, { [wrapper]: last === 0 ? named : named.filter((i) => typeof i.ID !== 'number' || (i.ID as number) > last) });
  };
}

const drip: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  const t = setInterval(() => res.write(' '), 100);
  res.on('close', () => clearInterval(t));
};
const hang: Handler = () => undefined;

// ---- the faults -----------------------------------------------------------------------------

const apiKey = (c: ManagerClient) => c.currentApiKey();
const computers = (c: ManagerClient) => c.computersWithDisplayNamePrefix('ds-eval-');
const isOneLineError = (o: Outcome, kind: new (...a: any[]) => Error = ManagerApiError, pattern?: RegExp) => {
  if (!(o.error instanceof kind)) return `expected ${kind.name}, got ${o.error instanceof Error ? `${o.error.name}: ${o.error.message}` : JSON.stringify(o.value)}`;
  const m = (o.error as Error).message;
  if (/[\r\n\u001b]/.test(m)) return 'the message is not one clean line';
  if (pattern && !pattern.test(m)) return `message ${JSON.stringify(m)} does not match ${pattern}`;
  return undefined;
};
const both = (...checks: ((o: Outcome) => string | undefined)[]) => (o: Outcome) => checks.map((c) => c(o)).find((x) => x !== undefined);
const atMost = (n: number) => (o: Outcome) => (o.requests.length > n ? `${o.requests.length} requests (at most ${n} expected)` : undefined);
const exactly = (n: number) => (o: Outcome) => (o.requests.length !== n ? `${o.requests.length} requests (${n} expected)` : undefined);
const within = (ms: number) => (o: Outcome) => (o.ms > ms ? `took ${o.ms} ms (bound ${ms})` : undefined);

const shapes: Fault[] = [
  ['text "hello" from GET /apikeys/current', answer(200, 'hello', { 'content-type': 'text/plain' }), /not JSON/],
  ['JSON "hello"', answer(200, '"hello"'), /unexpected answer/],
  ['{} (no ID)', answer(200, {}), /ID: Required/],
  ['{"ID":"1"} (string id)', answer(200, { ID: '1' }), /ID: Expected number/],
  ['[] instead of an object', answer(200, []), /unexpected answer/],
  ['null', answer(200, 'null'), /unexpected answer/],
  ['an empty 200 body', answer(200, ''), /unexpected answer/],
  ['keyName an object', answer(200, { ID: 1, keyName: { a: 1 } }), /keyName: Expected string/],
].map(([name, handler, pattern]) => ({ area: 'shapes', name: name as string, handler: handler as Handler, client: apiKey, check: (o: Outcome) => isOneLineError(o, ManagerApiError, pattern as RegExp) }));

shapes.push(
  { area: 'shapes', name: 'computers is a string', handler: answer(200, { computers: 'x' }), client: computers, check: (o) => isOneLineError(o, ManagerApiError, /no "computers" list/) },
  { area: 'shapes', name: 'displayName a number', handler: searchOf('computers', [{ ID: 1, displayName: 5 }]), client: computers, check: (o) => isOneLineError(o, ManagerApiError, /computers\[0\]\.displayName/) },
  { area: 'shapes', name: 'the wrong wrapper', handler: answer(200, { policies: [] }), client: computers, check: (o) => isOneLineError(o, ManagerApiError, /no "computers" list/) },
  { area: 'shapes', name: 'truncated JSON', handler: answer(200, '{"computers": ['), client: computers, check: (o) => isOneLineError(o, ManagerApiError, /not JSON/) },
  { area: 'shapes', name: 'policy name an object', handler: answer(200, { ID: 9, name: { x: 1 } }), client: (c) => c.describePolicy(9), check: (o) => isOneLineError(o, ManagerApiError, /name: Expected string/) },
  { area: 'shapes', name: 'assignedRuleIDs a string', handler: answer(200, { assignedRuleIDs: '1,2' }), client: (c) => c.policyIntrusionPreventionAssignments(9), check: (o) => isOneLineError(o, ManagerApiError, /assignedRuleIDs/) },
  { area: 'shapes', name: 'parentID negative', handler: answer(200, { ID: 9, parentID: -1 }), client: (c) => c.describePolicy(9), check: (o) => isOneLineError(o, ManagerApiError, /parentID/) },
);

/** Search, then delete each found computer: a bad id must stop it before any DELETE. */
const searchThenDelete = async (c: ManagerClient) => {
  for (const found of await computers(c)) await c.deleteComputer(found.ID);
};
const noDelete = (o: Outcome) => (o.requests.some((r) => r.startsWith('DELETE')) ? `sent ${o.requests.filter((r) => r.startsWith('DELETE')).join(', ')}` : undefined);
const ids: Fault[] = [
  ['"11/../../policies/9"', '11/../../policies/9'],
  ['1.5', 1.5],
  ['-3', -3],
  ['1e300', 1e300],
  ['0', 0],
  ['"9"', '9'],
].map(([name, id]) => ({
  area: 'ids',
  name: `computer ID ${name}`,
  handler: searchOf('computers', [{ ID: id, displayName: 'ds-eval-aws-web-1' }], answer(204, '')),
  client: searchThenDelete,
  check: both((o) => isOneLineError(o, ManagerApiError, /computers\[0\]\.ID/), noDelete),
}));
ids.push({
  area: 'ids',
  name: 'rule id "1/../2" in assignedRuleIDs',
  handler: answer(200, { assignedRuleIDs: ['1/../2'] }),
  client: (c) => c.policyIntrusionPreventionAssignments(9),
  check: (o) => isOneLineError(o, ManagerApiError, /assignedRuleIDs\[0\]/),
});

let rising = 0;
const paging: Fault[] = [
  {
    area: 'paging',
    name: 'non-integer ids that keep rising',
    handler: (_req, res, body) => send(res, 200, { computers: [{ ID: after(body) + 0.5, displayName: 'x' }] }),
    client: computers,
    check: both((o) => isOneLineError(o, ManagerApiError, /ID: Expected integer/), atMost(1)),
  },
  {
    area: 'paging',
    name: 'ever-rising ids, full pages, forever',
    handler: (_req, res) => send(res, 200, { computers: Array.from({ length: 1000 }, () => ({ ID: ++rising, displayName: 'x' })) }),
    client: computers,
    check: both((o) => isOneLineError(o, ManagerApiError, /more than 50000 computers match; narrow the search/), atMost(51)),
  },
  {
    area: 'paging',
    name: 'the same page forever (idTest ignored)',
    handler: answer(200, { computers: [{ ID: 1 }, { ID: 2 }] }),
    client: computers,
    check: both((o) => isOneLineError(o, ManagerApiError, /paging did not advance/), atMost(2)),
  },
  {
    area: 'paging',
    name: 'unsorted ids in a page',
    handler: searchOf('computers', [{ ID: 3 }, { ID: 1 }, { ID: 2 }]),
    client: computers,
    check: (o) => isOneLineError(o, ManagerApiError, /paging did not advance \(id 1 after 3\)/),
  },
  {
    area: 'paging',
    name: 'a 200,000-item page',
    handler: (_req, res) => send(res, 200, { computers: Array.from({ length: 200_000 }, (_, i) => ({ ID: i + 1 })) }),
    client: computers,
    check: (o) => isOneLineError(o, ManagerApiError, /200000 computers in one page though maxItems was 1000/),
  },
  {
    area: 'paging',
    name: 'one item more than maxItems',
    handler: (_req, res) => send(res, 200, { computers: Array.from({ length: 1001 }, (_, i) => ({ ID: i + 1 })) }),
    client: computers,
    check: (o) => isOneLineError(o, ManagerApiError, /1001 computers in one page/),
  },
];

const FAST: Partial<ManagerClientProps> = { timeoutMs: 800, callBudgetMs: 2500, retry: { maxAttempts: 3, baseDelayMs: 20, rateLimitBudgetMs: 2000 } };
const time: Fault[] = [
  { area: 'time', name: 'a 1-byte-per-100-ms drip (fetch)', handler: drip, client: apiKey, clientProps: FAST, check: both((o) => isOneLineError(o, ManagerUnreachableError, /no complete answer within 0\.\d s/), within(6000)) },
  { area: 'time', name: 'a drip (node:https, self-signed)', tls: true, handler: drip, client: apiKey, clientProps: { ...FAST, transport: insecureTlsTransport }, check: both((o) => isOneLineError(o, ManagerUnreachableError, /no complete answer/), within(6000)) },
  { area: 'time', name: 'a hanging server (fetch)', handler: hang, client: apiKey, clientProps: FAST, check: both((o) => isOneLineError(o, ManagerUnreachableError), within(6000)) },
  { area: 'time', name: 'a hanging server (node:https)', tls: true, handler: hang, client: apiKey, clientProps: { ...FAST, transport: insecureTlsTransport }, check: both((o) => isOneLineError(o, ManagerUnreachableError), within(6000)) },
  {
    area: 'time',
    name: 'headers, then a body that never ends',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ID":');
    },
    client: apiKey,
    clientProps: FAST,
    check: both((o) => isOneLineError(o, ManagerUnreachableError), within(6000)),
  },
  {
    area: 'time',
    name: 'a 429 storm',
    handler: answer(429, { message: 'Too many API requests' }),
    client: apiKey,
    clientProps: FAST,
    check: both((o) => isOneLineError(o, ManagerApiError, /HTTP 429/), within(6000), atMost(4)),
  },
  {
    area: 'time',
    name: '429 with Retry-After: 99999',
    handler: answer(429, { message: 'Too many API requests' }, { 'retry-after': '99999' }),
    client: apiKey,
    clientProps: FAST,
    check: both((o) => isOneLineError(o, ManagerApiError, /HTTP 429/), within(5000)),
  },
  { area: 'time', name: 'a 503 storm', handler: answer(503, 'down'), client: apiKey, clientProps: FAST, check: both((o) => isOneLineError(o, ManagerApiError, /HTTP 503/), atMost(3)) },
  ...[401, 403, 404].map((s) => ({
    area: 'time',
    name: `HTTP ${s} is not retried`,
    handler: answer(s, { message: `no (${s})` }),
    client: apiKey,
    clientProps: FAST,
    check: both((o: Outcome) => isOneLineError(o, ManagerApiError, new RegExp(`HTTP ${s}`)), exactly(1)),
  })),
  {
    area: 'time',
    name: 'the connection reset every time',
    handler: (req) => req.socket.destroy(),
    client: apiKey,
    clientProps: FAST,
    check: both((o) => isOneLineError(o, ManagerUnreachableError), atMost(3)),
  },
  {
    area: 'time',
    name: 'a body past the size cap',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"ID":1,"keyName":"${'x'.repeat(3 * 1024 * 1024)}"}`);
    },
    client: apiKey,
    clientProps: { ...FAST, maxResponseBytes: 1024 * 1024 },
    check: (o) => isOneLineError(o, ManagerUnreachableError, /larger than 1 MiB/),
  },
];

/** Set per run: the recording listener a redirect points at. */
let trap: RawServer;
const redirects: Fault[] = [
  ...[301, 302, 303, 307, 308].map((status) => ({
    area: 'redirects',
    name: `HTTP ${status} to another port`,
    handler: ((_req, res) => send(res, status, '', { location: `${trap.url}/api/apikeys/current` })) as Handler,
    client: apiKey,
    check: (o: Outcome) => isOneLineError(o, ManagerApiError, new RegExp(`HTTP ${status}: a redirect \\(Location "http://127\\.0\\.0\\.1:\\d+/api/apikeys/current"\\)`)),
  })),
  {
    area: 'redirects',
    name: '307 from https to plain http on another port',
    tls: true,
    handler: (_req, res) => send(res, 307, '', { location: `${trap.url}/api/apikeys/current` }),
    client: apiKey,
    clientProps: { transport: insecureTlsTransport },
    check: (o) => isOneLineError(o, ManagerApiError, /HTTP 307: a redirect/),
  },
  {
    area: 'redirects',
    name: 'a Location carrying the key',
    handler: (_req, res) => send(res, 302, '', { location: `${trap.url}/steal?k=${encodeURIComponent(LONG_KEY)}&raw=${LONG_KEY}` }),
    client: apiKey,
    check: (o) => isOneLineError(o, ManagerApiError, /k=\*\*\*&raw=\*\*\*/),
  },
  { area: 'redirects', name: 'a redirect without Location', handler: answer(301, ''), client: apiKey, check: (o) => isOneLineError(o, ManagerApiError, /no Location/) },
  {
    area: 'redirects',
    name: 'a Location with a C1 control (CSI, 0x9b)',
    handler: (req) => {
      // Written raw: Node refuses to send such a header, a hostile server does not.
      req.socket.end(Buffer.from(`HTTP/1.1 302 Found\r\nLocation: ${trap.url}/a\x9b2Jb\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1'));
    },
    client: apiKey,
    clientProps: FAST,
    check: (o) => isOneLineError(o, ManagerApiError, /a\\x9b2Jb/),
  },
];

const base64 = (s: string) => Buffer.from(s).toString('base64');
const echo: Fault[] = [
  { area: 'echo', name: '401 message echoing the key', handler: answer(401, { message: `Invalid API key ${LONG_KEY}` }), client: apiKey, check: (o) => isOneLineError(o, ManagerApiError, /Invalid API key \*\*\*/) },
  { area: 'echo', name: '500 text body with the key', handler: answer(500, `upstream said ${LONG_KEY}`, { 'content-type': 'text/plain' }), client: apiKey, clientProps: FAST, check: (o) => isOneLineError(o, ManagerApiError, /upstream said \*\*\*/) },
  { area: 'echo', name: 'non-JSON 200 starting with the key', handler: answer(200, `${LONG_KEY} is what you sent`, { 'content-type': 'text/plain' }), client: apiKey, check: (o) => isOneLineError(o, ManagerApiError, /not JSON \(starts "\*\*\* is what/) },
  { area: 'echo', name: 'the key JSON-escaped in a raw body', handler: answer(400, `oops ${JSON.stringify(LONG_KEY).replace(/\//g, '\\/')} bad`, { 'content-type': 'text/plain' }), client: apiKey, check: (o) => isOneLineError(o, ManagerApiError) },
  { area: 'echo', name: 'the key URL-encoded', handler: answer(400, { message: `k=${encodeURIComponent(LONG_KEY)}` }), client: apiKey, check: (o) => isOneLineError(o, ManagerApiError, /k=\*\*\*/) },
  { area: 'echo', name: 'the key base64', handler: answer(400, { message: `token ${base64(LONG_KEY)}` }), client: apiKey, check: (o) => isOneLineError(o, ManagerApiError, /token \*\*\*/) },
  { area: 'echo', name: 'a 1-character key echoed', key: '^', handler: answer(401, { message: 'key ^ refused' }), client: apiKey, check: (o) => isOneLineError(o, ManagerApiError, /key \*\*\* refused/) },
  { area: 'echo', name: 'a 3-character key echoed', key: '^~^', handler: answer(401, { message: 'key ^~^ refused' }), client: apiKey, check: (o) => isOneLineError(o, ManagerApiError, /key \*\*\* refused/) },
  {
    area: 'echo',
    name: 'a display name that is the key (returned data)',
    handler: searchOf('computers', [{ ID: 5, displayName: `ds-eval-${LONG_KEY}`, description: `x${LONG_KEY}x` }]),
    client: computers,
    check: (o) => (Array.isArray(o.value) && (o.value as any[])[0]?.displayName === 'ds-eval-***' ? undefined : `value ${JSON.stringify(o.value)}`),
  },
  {
    area: 'echo',
    name: 'the key as a JSON object key',
    handler: answer(200, { ID: 9, name: 'p', policySettings: { [LONG_KEY]: { value: LONG_KEY } } }),
    client: (c) => c.describePolicy(9),
    check: (o) => (o.error ? `error ${(o.error as Error).message}` : undefined),
  },
];

const control: Fault[] = [
  {
    area: 'control',
    name: 'an error message with ESC, CR and LF',
    handler: answer(400, { message: 'bad\u001b[2J\r\nPASS  API key works: fine' }),
    client: apiKey,
    check: (o) => isOneLineError(o, ManagerApiError, /bad\\x1b\[2J PASS API key works: fine/),
  },
  {
    area: 'control',
    name: 'bidi override in a message',
    handler: answer(400, { message: 'name \u202egnp.exe' }),
    client: apiKey,
    check: (o) => isOneLineError(o, ManagerApiError, /\\u\{202e\}/),
  },
];

// ---- CLI-level: what a user sees ------------------------------------------------------------

const sandboxComputers = (names: readonly string[], extra: Record<string, unknown> = {}) =>
  names.map((displayName, i) => ({ ID: i + 1, displayName, policyID: 9, computerStatus: { agentStatus: 'active' }, ...extra }));
const nastyNames = [`ds-eval-aws-web-1\u001b[31mRED`, 'ds-eval-aws-web-2\r\nverify: all 4 computers of ds-eval are present', `ds-eval-aws-x-${LONG_KEY}`, 'ds-eval-gcp-\u202eweb-1'];
const noRawControls = (o: Outcome) => (/[\u001b\r\u202e]/.test(o.text) ? `printed a raw control character: ${JSON.stringify(o.text.match(/.{0,20}[\u001b\r\u202e].{0,20}/)?.[0])}` : undefined);
const exitCode = (n: number) => (o: Outcome) => (o.code !== n ? `exit ${o.code} (expected ${n}); ${o.text.slice(0, 300)}` : undefined);
const printed = (re: RegExp) => (o: Outcome) => (re.test(o.text) ? undefined : `output does not match ${re}: ${o.text.slice(0, 400)}`);
const cliFaults: Fault[] = [
  { area: 'shapes', name: 'CLI preflight: 200 text "hello" is no PASS', handler: answer(200, 'hello', { 'content-type': 'text/plain' }), cli: ['preflight'], check: both(exitCode(1), printed(/^FAIL  API key works: GET \/apikeys\/current failed: HTTP 200: the answer is not JSON/m)) },
  { area: 'shapes', name: 'CLI preflight: JSON "hello" is no PASS', handler: answer(200, '"hello"'), cli: ['preflight'], check: both(exitCode(1), printed(/^FAIL  API key works: .*unexpected answer/m)) },
  { area: 'echo', name: 'CLI preflight: a 401 echoing the key', handler: answer(401, { message: `key ${LONG_KEY} is wrong` }), cli: ['preflight'], check: both(exitCode(1), printed(/^FAIL  API key works: .*HTTP 401: key \*\*\* is wrong \(dskit sent the key as "api-secret-key: <key>"/m)) },
  {
    area: 'control',
    name: 'CLI verify: names with ESC, CR/LF, bidi and the key',
    handler: searchOf('computers', sandboxComputers(nastyNames)),
    cli: ['verify'],
    check: both(exitCode(1), noRawControls, printed(/ds-eval-aws-web-1\\x1b\[31mRED/), printed(/ds-eval-aws-x-\*\*\*/)),
  },
  {
    area: 'echo',
    name: 'CLI verify --json: the key as a name, controls in names',
    handler: searchOf('computers', sandboxComputers(nastyNames)),
    cli: ['--json', 'verify'],
    check: both(exitCode(1), noRawControls, (o) => {
      try {
        const out = JSON.parse(o.stdout ?? '').data;
        if (!out.computers.some((c: any) => c.displayName === 'ds-eval-aws-x-***')) return 'the redacted name is missing';
        return out.computers.some((c: any) => /offline/.test(c.status)) ? 'a status says offline' : undefined;
      } catch (err) {
        return `stdout is not JSON: ${(err as Error).message}`;
      }
    }),
  },
  {
    area: 'control',
    name: 'CLI verify: a "warning" agent is shown as warning with its messages, not "offline"',
    handler: searchOf('computers', [
      { ID: 1, displayName: EXPECTED[0], policyID: 9, computerStatus: { agentStatus: 'warning', agentStatusMessages: ['Managed (Online)', 'Reboot Required'] } },
      ...sandboxComputers(EXPECTED.slice(1)).map((c) => ({ ...c, ID: c.ID + 1 })),
    ]),
    cli: ['verify'],
    check: both(exitCode(1), printed(/^ds-eval-aws-web-1 .*agent warning \(Managed \(Online\); Reboot Required\), not active$/m), (o) => (/offline/.test(o.text) ? 'says offline' : undefined)),
  },
  {
    area: 'ids',
    name: 'CLI teardown: computer ID "11/../../policies/9" deletes nothing',
    handler: searchOf('computers', [{ ID: '11/../../policies/9', displayName: 'ds-eval-aws-web-1', policyID: 9 }], answer(204, '')),
    cli: ['teardown', '--manager-only', '--yes'],
    check: both(exitCode(1), noDelete, printed(/computers\[0\]\.ID/)),
  },
  {
    area: 'time',
    name: 'CLI verify --wait 3s against a hanging server ends by its deadline',
    handler: hang,
    cli: ['verify', '--wait', '3s'],
    boundMs: 9000,
    check: both(exitCode(1), printed(/verify: gave up after waiting \d+ s: /)),
  },
  {
    area: 'time',
    name: 'CLI verify --wait 4s against a permanent 500 retries rounds until its deadline',
    handler: answer(500, { message: 'broken' }),
    cli: ['verify', '--wait', '4s'],
    boundMs: 12_000,
    // The wait said is wall-clock: on a loaded 2-core CI machine the last round can end half a second
    // past the 4 s deadline (event-loop lag), which rounds to 5 s; boundMs bounds the whole run.
    check: both(exitCode(1), printed(/^verify: check 2: failed: /m), printed(/verify: gave up after waiting [345] s: .*HTTP 500: broken/)),
  },
  {
    area: 'redirects',
    name: 'CLI policy ensure: a 308 to another origin',
    handler: (_req, res) => send(res, 308, '', { location: `${trap.url}/api/policies/search` }),
    cli: ['policy', 'ensure', '--parent', 'Base Policy'],
    check: both(exitCode(1), printed(/HTTP 308: a redirect \(Location "http:\/\/127\.0\.0\.1:\d+\/api\/policies\/search"\)/)),
  },
];

const FAULTS: Fault[] = [...shapes, ...ids, ...paging, ...time, ...redirects, ...echo, ...control, ...cliFaults];

// ---- the run --------------------------------------------------------------------------------

interface Tally {
  readonly area: string;
  readonly name: string;
  readonly held: boolean;
  readonly leaked: boolean;
  readonly why?: string;
}
const tally: Tally[] = [];

describe('a hostile manager', () => {
  let dir: string;
  let configFile: string;
  const tls = selfSignedTls();

  beforeAll(async () => {
    trap = await recordingListener();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-hostile-'));
    configFile = path.join(dir, 'sandbox.yaml');
    fs.writeFileSync(configFile, stringify(sandboxRaw(9)));
  });
  afterAll(async () => {
    await trap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each(FAULTS.map((f) => [`${f.area}: ${f.name}`, f] as const))('%s', async (_label, fault) => {
    if (fault.tls && !tls) {
      if (process.env.CI === 'true') throw new Error('openssl is needed for the https faults under CI');
      console.warn(`SKIPPED (no openssl): ${fault.name}`);
      return;
    }
    const key = fault.key ?? LONG_KEY;
    const server = await rawServer(fault.handler, fault.tls ? tls! : undefined);
    const trapBefore = trap.received().length;
    const started = Date.now();
    let outcome: Outcome;
    try {
      if (fault.client) {
        const c = new ManagerClient({ baseUrl: `${server.url}/api`, apiKey: key, ...fault.clientProps });
        let value: unknown;
        let error: unknown;
        try {
          value = await fault.client(c);
        } catch (err) {
          error = err;
        }
        const text = `${error instanceof Error ? `${error.name}: ${error.message}` : ''}\n${JSON.stringify(value) ?? ''}`;
        outcome = { error, value, text, ms: Date.now() - started, requests: server.received() };
      } else {
        const r = await runDskitAsync(['--config', configFile, '--manager-url', server.url, ...fault.cli!], {
          cwd: dir,
          env: { DS_API_KEY: key },
          timeoutMs: fault.boundMs ?? 20_000,
        });
        outcome = { text: `${r.stdout}\n${r.stderr}`, stdout: r.stdout, code: r.code, ms: Date.now() - started, requests: server.received() };
      }
    } finally {
      await server.close();
    }
    const trapGot = trap.received().slice(trapBefore);
    const crashed =
      outcome.error !== undefined && !(outcome.error instanceof ManagerApiError || outcome.error instanceof ManagerUnreachableError || outcome.error instanceof ManagerSetupError)
        ? `crashed: ${String(outcome.error)}`
        : /unexpected error|TypeError|RangeError|at .*\.ts:\d+/.test(outcome.text)
          ? 'printed a stack trace'
          : undefined;
    const leaked = outcome.text.includes(key) || trapGot.length > 0;
    const why =
      crashed ??
      (trapGot.length > 0 ? `the redirect target received ${trapGot.join('').length} bytes` : undefined) ??
      (outcome.text.includes(key) ? 'the key is in the output' : undefined) ??
      (outcome.ms > (fault.boundMs ?? 20_000) ? `took ${outcome.ms} ms` : undefined) ??
      fault.check(outcome);
    tally.push({ area: fault.area, name: fault.name, held: why === undefined, leaked, why });
    expect(why).toBeUndefined();
  });

  test('tally: every fault held, no secret leaked', () => {
    const byArea = new Map<string, { tried: number; held: number }>();
    for (const t of tally) {
      const a = byArea.get(t.area) ?? { tried: 0, held: 0 };
      a.tried++;
      if (t.held) a.held++;
      byArea.set(t.area, a);
    }
    const held = tally.filter((t) => t.held).length;
    const leaked = tally.filter((t) => t.leaked).length;
    const lines = [
      `hostile manager: ${tally.length} faults tried, ${held} held, ${tally.length - held} broke; secrets leaked: ${leaked}`,
      ...[...byArea].map(([area, a]) => `  ${area}: ${a.held}/${a.tried} held`),
      ...tally.filter((t) => !t.held).map((t) => `  BROKE ${t.area}: ${t.name}: ${t.why}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    expect(tally.length).toBe(FAULTS.length - (tls ? 0 : FAULTS.filter((f) => f.tls).length));
    expect(leaked).toBe(0);
    expect(held).toBe(tally.length);
  });
});
