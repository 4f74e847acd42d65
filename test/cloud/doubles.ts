/**
 * Local doubles of the cloud APIs the leftover listers call, as strict as the real services on
 * what the listers touch: request shape and signing scope, paging tokens, and the real error
 * bodies. Reached the way real users reach private endpoints — AWS_ENDPOINT_URL (the AWS SDK's own
 * setting), GCE_METADATA_HOST (google-auth-library's metadata server) and
 * CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET — so the listers run unchanged.
 *
 * Sources: AWS Resource Groups Tagging API reference (GetResources: ResourcesPerPage 1-100,
 * TagFilters up to 50, an empty PaginationToken on the last page, JSON 1.1 errors `{"__type",
 * "message"}`); CloudFormation API reference (DescribeStacks, query protocol, `ValidationError`
 * "Stack with id X does not exist"); Cloud Asset API v1 searchAllResources (pageSize capped at
 * 500, `nextPageToken`, google.rpc.Status errors) and its search query syntax (`=` exact, `:`
 * token match with `*` prefix wildcards); Compute Engine metadata server (`Metadata-Flavor: Google`
 * both ways).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly service: string;
  readonly body: unknown;
  readonly headers: http.IncomingHttpHeaders;
}

export const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const GCP_TOKEN = 'ya29.dskit-test-token';

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A service double on a loopback port: each request goes to `handle`. */
export abstract class LoopbackDouble {
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  start(): Promise<string> {
    return listen(this.server);
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

// ---- AWS --------------------------------------------------------------------------------------

/** SigV4's Authorization header: the key id, the date's region and service the request was signed for. */
export function sigV4Scope(authorization: string | undefined): { keyId: string; region: string; service: string } | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.exec(authorization ?? '');
  return m ? { keyId: m[1], region: m[2], service: m[3] } : undefined;
}

export interface TaggedResource {
  readonly arn: string;
  readonly tags: Record<string, string>;
}

export interface AwsFailure {
  readonly status: number;
  /** `AccessDeniedException`, `UnrecognizedClientException`, ... */
  readonly type: string;
  readonly message: string;
}

export class FakeAws extends LoopbackDouble {
  readonly requests: Recorded[] = [];
  tagged: TaggedResource[] = [];
  /** Stack name → status; absent = does not exist. */
  stacks = new Map<string, string>();
  /** Answer every call of a service with this error. */
  failTagging?: AwsFailure;
  /** The page size the service itself uses, below the caller's ResourcesPerPage, to force paging. */
  pageSize = 2;
  constructor(readonly region: string) {
    super();
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    const auth = String(req.headers.authorization ?? '');
    // SigV4: the scope names the key, the region and the service the request was signed for.
    const scope = sigV4Scope(auth);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || req.url !== '/') return this.jsonError(res, 404, 'UnknownOperationException', `no such path ${req.method} ${req.url}`);
    if (target) {
      // Resource Groups Tagging API: JSON 1.1.
      if (!scope || scope.keyId !== AWS_KEY_ID) return this.jsonError(res, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      if (scope.region !== this.region || scope.service !== 'tagging') return this.jsonError(res, 400, 'InvalidSignatureException', `Credential should be scoped to a valid region and service tagging, not ${scope.region}/${scope.service}`);
      if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return this.jsonError(res, 400, 'SerializationException', 'bad content type');
      if (target !== 'ResourceGroupsTaggingAPI_20170126.GetResources') return this.jsonError(res, 400, 'UnknownOperationException', target);
      const body = JSON.parse(text || '{}');
      this.requests.push({ service: 'tagging', body, headers: req.headers });
      if (this.failTagging) return this.jsonError(res, this.failTagging.status, this.failTagging.type, this.failTagging.message);
      return this.getResources(res, body);
    }
    // CloudFormation: the query protocol, XML answers.
    const form = new URLSearchParams(text);
    const body = Object.fromEntries(form);
    this.requests.push({ service: 'cloudformation', body, headers: req.headers });
    if (!scope || scope.keyId !== AWS_KEY_ID) return this.xmlError(res, 403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (scope.region !== this.region || scope.service !== 'cloudformation') return this.xmlError(res, 403, 'SignatureDoesNotMatch', `Credential should be scoped to ${this.region}/cloudformation`);
    if (body.Action !== 'DescribeStacks' || body.Version !== '2010-05-15') return this.xmlError(res, 400, 'InvalidAction', `${body.Action} ${body.Version}`);
    const status = this.stacks.get(body.StackName ?? '');
    if (status === undefined) return this.xmlError(res, 400, 'ValidationError', `Stack with id ${body.StackName} does not exist`);
    const id = `arn:aws:cloudformation:${this.region}:123456789012:stack/${body.StackName}/00000000-0000-0000-0000-000000000001`;
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
        `<StackName>${body.StackName}</StackName><StackId>${id}</StackId><StackStatus>${status}</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime>` +
        `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    );
  }

  private getResources(res: http.ServerResponse, body: Record<string, any>): void {
    const allowed = ['PaginationToken', 'TagFilters', 'ResourcesPerPage', 'TagsPerPage', 'ResourceTypeFilters', 'IncludeComplianceDetails', 'ExcludeCompliantResources', 'ResourceARNList'];
    const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
    if (unknown.length) return this.jsonError(res, 400, 'SerializationException', `Unknown fields ${unknown.join(', ')}`);
    const perPage = body.ResourcesPerPage ?? 50;
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return this.jsonError(res, 400, 'InvalidParameterException', 'ResourcesPerPage must be between 1 and 100');
    const filters: { Key?: string; Values?: string[] }[] = body.TagFilters ?? [];
    if (!Array.isArray(filters) || filters.length > 50 || filters.some((f) => typeof f.Key !== 'string' || f.Key.length < 1 || f.Key.length > 128 || (f.Values && f.Values.length > 20))) {
      return this.jsonError(res, 400, 'InvalidParameterException', 'TagFilters: 1-50 filters, each a Key of 1-128 characters and at most 20 Values');
    }
    // ResourceTypeFilters: `service` or `service:resourceType`, as ARNs spell them (`ec2:instance`).
    const types: string[] = body.ResourceTypeFilters ?? [];
    const ofType = (arn: string) => {
      const [service, resource] = [arn.split(':')[2], arn.split(':')[5]?.split('/')[0]];
      return types.length === 0 || types.some((t) => t === service || t === `${service}:${resource}`);
    };
    const matching = this.tagged.filter((r) => ofType(r.arn) && filters.every((f) => f.Key! in r.tags && (!f.Values?.length || f.Values.includes(r.tags[f.Key!]))));
    let start = 0;
    if (body.PaginationToken) {
      const m = /^page-(\d+)$/.exec(Buffer.from(body.PaginationToken, 'base64').toString());
      if (!m) return this.jsonError(res, 400, 'InvalidParameterException', 'The specified pagination token is invalid');
      start = Number(m[1]);
    }
    const size = Math.min(perPage, this.pageSize);
    const page = matching.slice(start, start + size);
    const next = start + size < matching.length ? Buffer.from(`page-${start + size}`).toString('base64') : '';
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(
      JSON.stringify({
        PaginationToken: next,
        ResourceTagMappingList: page.map((r) => ({ ResourceARN: r.arn, Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })) })),
      }),
    );
  }

  private jsonError(res: http.ServerResponse, status: number, type: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type }).end(JSON.stringify({ __type: type, message }));
  }

  private xmlError(res: http.ServerResponse, status: number, code: string, message: string): void {
    res
      .writeHead(status, { 'content-type': 'text/xml' })
      .end(`<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`);
  }
}

// ---- GCP --------------------------------------------------------------------------------------

export interface Asset {
  /** Full resource name, `//compute.googleapis.com/projects/p/global/networks/n`. */
  readonly name: string;
  readonly assetType: string;
  readonly labels?: Record<string, string>;
}

export interface GcpFailure {
  readonly code: number;
  readonly status: string;
  readonly message: string;
  readonly reason?: string;
}

/** Google's tokenization for `:` queries: split on anything but [A-Za-z0-9_&], case folded. */
export function tokens(s: string): string[] {
  return s.split(/[^A-Za-z0-9_&*]+/).filter(Boolean).map((t) => t.toLowerCase());
}

function tokenMatch(value: string, query: string): boolean {
  const have = tokens(value).map((t) => t.replace(/\*/g, ''));
  const want = tokens(query);
  if (want.length === 0) return false;
  const eq = (h: string, w: string) => (w.endsWith('*') ? h.startsWith(w.slice(0, -1)) : h === w);
  for (let i = 0; i + want.length <= have.length; i++) if (want.every((w, j) => eq(have[i + j], w))) return true;
  return false;
}

export class FakeGcp extends LoopbackDouble {
  readonly requests: Recorded[] = [];
  assets: Asset[] = [];
  failSearch?: GcpFailure;
  /** The service's own page size, to force paging. */
  pageSize = 2;
  constructor(readonly project: string) {
    super();
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/computeMetadata/v1/')) return this.metadata(req, res, url);
    const m = /^\/v1\/(projects\/[^/:]+):searchAllResources$/.exec(url.pathname);
    if (!m || req.method !== 'GET') return this.error(res, { code: 404, status: 'NOT_FOUND', message: `${req.method} ${url.pathname} not found` });
    const query = url.searchParams.get('query') ?? '';
    this.requests.push({ service: 'cloudasset', body: Object.fromEntries(url.searchParams), headers: req.headers });
    if (req.headers.authorization !== `Bearer ${GCP_TOKEN}`) {
      return this.error(res, { code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials. Expected OAuth 2 access token.' });
    }
    if (m[1] !== `projects/${this.project}`) return this.error(res, { code: 403, status: 'PERMISSION_DENIED', message: 'The caller does not have permission' });
    if (this.failSearch) return this.error(res, this.failSearch);
    let match: (a: Asset) => boolean;
    const label = /^labels\.([a-z0-9_-]+)=([A-Za-z0-9_-]+)$/.exec(query);
    const name = /^name:([A-Za-z0-9_*-]+)$/.exec(query);
    if (label) match = (a) => a.labels?.[label[1]] === label[2];
    else if (name) match = (a) => tokenMatch(a.name, name[1]);
    else return this.error(res, { code: 400, status: 'INVALID_ARGUMENT', message: `Invalid query: ${query}` });
    const requested = Number(url.searchParams.get('pageSize') ?? '0');
    if (!Number.isInteger(requested) || requested < 0) return this.error(res, { code: 400, status: 'INVALID_ARGUMENT', message: 'page_size must be non-negative' });
    const size = Math.min(requested || 100, 500, this.pageSize);
    let start = 0;
    const token = url.searchParams.get('pageToken');
    if (token) {
      const t = /^(\d+):(.*)$/.exec(Buffer.from(token, 'base64url').toString());
      if (!t || t[2] !== query) return this.error(res, { code: 400, status: 'INVALID_ARGUMENT', message: 'Invalid page token.' });
      start = Number(t[1]);
    }
    const all = this.assets.filter(match);
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? Buffer.from(`${start + size}:${query}`).toString('base64url') : undefined;
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(
      JSON.stringify({
        results: page.map((a) => ({ name: a.name, assetType: a.assetType, project: 'projects/123456789', ...(a.labels ? { labels: a.labels } : {}), state: 'ACTIVE' })),
        ...(next ? { nextPageToken: next } : {}),
      }),
    );
  }

  /** The Compute Engine metadata server, as google-auth-library reaches it for a VM's service account. */
  private metadata(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403, { 'content-type': 'text/html' }).end('Missing Metadata-Flavor:Google header.');
      return;
    }
    const headers = { 'metadata-flavor': 'Google', 'content-type': 'application/json' };
    if (url.pathname === '/computeMetadata/v1/instance' || url.pathname === '/computeMetadata/v1/instance/') {
      res.writeHead(200, headers).end('{}');
    } else if (url.pathname === '/computeMetadata/v1/instance/service-accounts/default/token') {
      res.writeHead(200, headers).end(JSON.stringify({ access_token: GCP_TOKEN, expires_in: 3599, token_type: 'Bearer' }));
    } else if (url.pathname === '/computeMetadata/v1/project/project-id') {
      res.writeHead(200, { ...headers, 'content-type': 'application/text' }).end(this.project);
    } else {
      res.writeHead(404, { 'metadata-flavor': 'Google', 'content-type': 'text/html' }).end('Not Found');
    }
  }

  private error(res: http.ServerResponse, f: GcpFailure): void {
    res.writeHead(f.code, { 'content-type': 'application/json; charset=UTF-8' }).end(
      JSON.stringify({
        error: {
          code: f.code,
          message: f.message,
          status: f.status,
          ...(f.reason ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: f.reason, domain: 'googleapis.com', metadata: { service: 'cloudasset.googleapis.com' } }] } : {}),
        },
      }),
    );
  }
}
