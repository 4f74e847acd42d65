/**
 * Local doubles of the cloud APIs `dskit preflight` asks before a deploy, as strict as the real
 * services on what preflight touches: protocol, signing scope, unknown parameters refused, the
 * real answer and error shapes. Reached the way users reach private endpoints: the AWS SDK's
 * per-service endpoint variables (AWS_ENDPOINT_URL_STS, _SSM, _SECRETS_MANAGER, _EC2), gcloud's
 * CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER, and google-auth-library's GCE_METADATA_HOST (the
 * metadata server of doubles.ts's FakeGcp) — so preflight runs unchanged.
 *
 * Sources: AWS STS API reference (GetCallerIdentity, query protocol, Version 2011-06-15,
 * InvalidClientTokenId); AWS Systems Manager API reference (GetParameter, JSON 1.1,
 * `AmazonSSM.GetParameter`, ParameterNotFound); AWS Secrets Manager API reference
 * (DescribeSecret, JSON 1.1, `secretsmanager.DescribeSecret`, ResourceNotFoundException,
 * VersionIdsToStages, KmsKeyId, DeletedDate); Amazon EC2 API reference (DescribeAvailabilityZones,
 * DescribeInstanceTypeOfferings, EC2 query protocol, Version 2016-11-15, `<Response><Errors>`);
 * Secret Manager REST v1 (projects.secrets.get, versions.get with the `latest` alias,
 * getIamPolicy as GET, testIamPermissions as POST {permissions}, google.rpc.Status errors).
 */
import * as http from 'node:http';
import { AWS_KEY_ID, GCP_TOKEN, LoopbackDouble, readBody, sigV4Scope } from './doubles';

export const AWS_ACCOUNT = '123456789012';

export interface FakeSecret {
  readonly arn?: string;
  /** e.g. `alias/aws/secretsmanager` or a key ARN; absent = the default key. */
  kmsKeyId?: string;
  deletedDate?: Date;
  /** Version id → its staging labels; `{}` = no value yet. */
  versions: Record<string, string[]>;
}

const XML = { 'content-type': 'text/xml' };
const JSON11 = { 'content-type': 'application/x-amz-json-1.1' };

/** STS, SSM, Secrets Manager and EC2 of one account and region, on one loopback server. */
export class FakeAwsSetup extends LoopbackDouble {
  readonly requests: { service: string; action: string; body: unknown }[] = [];
  /** SSM parameters by name. */
  parameters = new Map<string, string>([['/cdk-bootstrap/hnb659fds/version', '21']]);
  /** Secrets Manager secrets by name. */
  secrets = new Map<string, FakeSecret>();
  zones = ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'];
  /** Zone → instance types offered there. */
  offerings = new Map<string, string[]>();
  /** Services that answer AccessDenied to everything. */
  denied = new Set<string>();
  constructor(readonly region: string) {
    super();
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    const scope = sigV4Scope(req.headers.authorization);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || req.url !== '/') return this.json(res, 404, 'UnknownOperationException', `no such path ${req.method} ${req.url}`);
    if (target) {
      const service = target.startsWith('AmazonSSM.') ? 'ssm' : target.startsWith('secretsmanager.') ? 'secretsmanager' : undefined;
      if (!service) return this.json(res, 400, 'UnknownOperationException', target);
      if (!scope || scope.keyId !== AWS_KEY_ID) return this.json(res, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      if (scope.region !== this.region || scope.service !== service) {
        return this.json(res, 400, 'InvalidSignatureException', `Credential should be scoped to a valid region and service ${service}, not ${scope.region}/${scope.service}`);
      }
      if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return this.json(res, 400, 'SerializationException', 'bad content type');
      let body: Record<string, any>;
      try {
        body = JSON.parse(text || '{}');
      } catch {
        return this.json(res, 400, 'SerializationException', 'the body is not JSON');
      }
      const action = target.split('.')[1];
      this.requests.push({ service, action, body });
      if (this.denied.has(service)) return this.json(res, 400, 'AccessDeniedException', `User: arn:aws:iam::${AWS_ACCOUNT}:user/dskit is not authorized to perform: ${service}:${action}`);
      if (target === 'AmazonSSM.GetParameter') return this.getParameter(res, body);
      if (target === 'secretsmanager.DescribeSecret') return this.describeSecret(res, body);
      return this.json(res, 400, 'UnknownOperationException', target);
    }
    // Query protocols: STS (awsQuery) and EC2 (ec2Query), form-encoded.
    const form = Object.fromEntries(new URLSearchParams(text));
    const service = form.Version === '2011-06-15' ? 'sts' : form.Version === '2016-11-15' ? 'ec2' : undefined;
    if (!service) return this.xml(res, 400, 'sts', 'InvalidAction', `${form.Action} ${form.Version}`);
    this.requests.push({ service, action: form.Action, body: form });
    if (!scope || scope.keyId !== AWS_KEY_ID) {
      return service === 'sts' ? this.xml(res, 403, 'sts', 'InvalidClientTokenId', 'The security token included in the request is invalid.') : this.xml(res, 401, 'ec2', 'AuthFailure', 'AWS was not able to validate the provided access credentials');
    }
    if (scope.region !== this.region || scope.service !== service) return this.xml(res, 403, service, 'SignatureDoesNotMatch', `Credential should be scoped to ${this.region}/${service}`);
    if (service === 'sts') {
      if (form.Action !== 'GetCallerIdentity' || Object.keys(form).some((k) => k !== 'Action' && k !== 'Version')) return this.xml(res, 400, 'sts', 'InvalidAction', form.Action);
      return void res.writeHead(200, XML).end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${AWS_ACCOUNT}:user/dskit</Arn>` +
          `<UserId>AIDAEXAMPLEDSKIT00001</UserId><Account>${AWS_ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    }
    if (this.denied.has('ec2')) return this.xml(res, 403, 'ec2', 'UnauthorizedOperation', `You are not authorized to perform this operation. (${form.Action})`);
    if (form.Action === 'DescribeAvailabilityZones') {
      if (Object.keys(form).some((k) => !['Action', 'Version'].includes(k))) return this.xml(res, 400, 'ec2', 'InvalidParameterValue', 'unexpected parameters');
      return void res.writeHead(200, XML).end(
        `<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-2</requestId><availabilityZoneInfo>` +
          this.zones.map((z) => `<item><zoneName>${z}</zoneName><zoneState>available</zoneState><regionName>${this.region}</regionName></item>`).join('') +
          `</availabilityZoneInfo></DescribeAvailabilityZonesResponse>`,
      );
    }
    if (form.Action === 'DescribeInstanceTypeOfferings') return this.offeringsAnswer(res, form);
    return this.xml(res, 400, 'ec2', 'InvalidAction', `The action ${form.Action} is not valid for this web service.`);
  }

  private getParameter(res: http.ServerResponse, body: Record<string, any>): void {
    const unknown = Object.keys(body).filter((k) => k !== 'Name' && k !== 'WithDecryption');
    if (unknown.length || typeof body.Name !== 'string' || body.Name.length < 1 || body.Name.length > 2048) return this.json(res, 400, 'ValidationException', 'Name: 1-2048 characters');
    const value = this.parameters.get(body.Name);
    // SSM's ParameterNotFound carries no message.
    if (value === undefined) return void res.writeHead(400, { ...JSON11, 'x-amzn-errortype': 'ParameterNotFound' }).end(JSON.stringify({ __type: 'ParameterNotFound' }));
    res.writeHead(200, JSON11).end(
      JSON.stringify({ Parameter: { Name: body.Name, Type: 'String', Value: value, Version: 1, LastModifiedDate: 1.7e9, ARN: `arn:aws:ssm:${this.region}:${AWS_ACCOUNT}:parameter${body.Name}`, DataType: 'text' } }),
    );
  }

  private describeSecret(res: http.ServerResponse, body: Record<string, any>): void {
    if (Object.keys(body).some((k) => k !== 'SecretId') || typeof body.SecretId !== 'string' || body.SecretId.length < 1) return this.json(res, 400, 'InvalidParameterException', 'SecretId is required');
    const s = this.secrets.get(body.SecretId);
    if (!s) return this.json(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.", 'Message');
    res.writeHead(200, JSON11).end(
      JSON.stringify({
        ARN: s.arn ?? `arn:aws:secretsmanager:${this.region}:${AWS_ACCOUNT}:secret:${body.SecretId}-AbCdEf`,
        Name: body.SecretId,
        ...(s.kmsKeyId ? { KmsKeyId: s.kmsKeyId } : {}),
        ...(s.deletedDate ? { DeletedDate: s.deletedDate.getTime() / 1000 } : {}),
        CreatedDate: 1.7e9,
        VersionIdsToStages: s.versions,
      }),
    );
  }

  private offeringsAnswer(res: http.ServerResponse, form: Record<string, string>): void {
    const allowed = /^(Action|Version|LocationType|NextToken|MaxResults|Filter\.\d+\.Name|Filter\.\d+\.Value\.\d+)$/;
    if (Object.keys(form).some((k) => !allowed.test(k))) return this.xml(res, 400, 'ec2', 'InvalidParameterValue', 'unexpected parameters');
    if (form.LocationType !== 'availability-zone') return this.xml(res, 400, 'ec2', 'InvalidParameterValue', `LocationType ${form.LocationType}`);
    const filter = (name: string) =>
      Object.entries(form)
        .filter(([k]) => /^Filter\.(\d+)\.Value\.\d+$/.test(k) && form[`Filter.${k.split('.')[1]}.Name`] === name)
        .map(([, v]) => v);
    const zones = filter('location');
    const types = filter('instance-type');
    const items = [...this.offerings].flatMap(([zone, offered]) => (zones.includes(zone) ? offered.filter((t) => types.includes(t)).map((t) => ({ zone, t })) : []));
    res.writeHead(200, XML).end(
      `<DescribeInstanceTypeOfferingsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-3</requestId><instanceTypeOfferingSet>` +
        items.map((i) => `<item><instanceType>${i.t}</instanceType><locationType>availability-zone</locationType><location>${i.zone}</location></item>`).join('') +
        `</instanceTypeOfferingSet></DescribeInstanceTypeOfferingsResponse>`,
    );
  }

  private json(res: http.ServerResponse, status: number, type: string, message: string, messageKey = 'message'): void {
    res.writeHead(status, { ...JSON11, 'x-amzn-errortype': type }).end(JSON.stringify({ __type: type, [messageKey]: message }));
  }

  private xml(res: http.ServerResponse, status: number, service: string, code: string, message: string): void {
    res
      .writeHead(status, XML)
      .end(
        service === 'ec2'
          ? `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r-4</RequestID></Response>`
          : `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-5</RequestId></ErrorResponse>`,
      );
  }

  /** The SDK's environment for this double: keys, region-free endpoints per service. */
  env(url: string): NodeJS.ProcessEnv {
    return {
      AWS_ACCESS_KEY_ID: AWS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_ENDPOINT_URL_STS: url,
      AWS_ENDPOINT_URL_SSM: url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
      AWS_ENDPOINT_URL_EC2: url,
    };
  }
}

// ---- GCP Secret Manager ---------------------------------------------------------------------

export interface FakeGcpSecret {
  /** Version states, oldest first; the last is `latest`. */
  versions: ('ENABLED' | 'DISABLED' | 'DESTROYED')[];
  bindings: { role: string; members: string[] }[];
}

const SECRET_PERMISSIONS = /^secretmanager\.(secrets|versions)\.[a-zA-Z]+$/;

export class FakeSecretManager extends LoopbackDouble {
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  secrets = new Map<string, FakeGcpSecret>();
  /** What the caller may do on every secret (testIamPermissions answers the subset). */
  callerPermissions = new Set<string>(['secretmanager.secrets.get', 'secretmanager.secrets.getIamPolicy', 'secretmanager.secrets.setIamPolicy']);
  serviceDisabled = false;
  constructor(readonly project: string) {
    super();
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? '', path: url.pathname, body: text ? JSON.parse(text) : undefined });
    if (req.headers.authorization !== `Bearer ${GCP_TOKEN}`) return this.error(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
    const m = /^\/v1\/projects\/([^/]+)\/secrets\/([A-Za-z0-9_-]+)(\/versions\/(latest|\d+))?(:getIamPolicy|:testIamPermissions)?$/.exec(url.pathname);
    if (!m) return this.error(res, 404, 'NOT_FOUND', `${req.method} ${url.pathname} not found`);
    if (this.serviceDisabled) {
      return this.error(res, 403, 'PERMISSION_DENIED', `Secret Manager API has not been used in project ${this.project} before or it is disabled.`, 'SERVICE_DISABLED');
    }
    const [, project, name, versionPart, version, verb] = m;
    if (project !== this.project) return this.error(res, 403, 'PERMISSION_DENIED', `Permission 'secretmanager.secrets.get' denied for resource 'projects/${project}/secrets/${name}' (or it may not exist).`);
    const secret = this.secrets.get(name);
    const resource = `projects/123456789/secrets/${name}`;
    if (verb === ':testIamPermissions') {
      if (req.method !== 'POST') return this.error(res, 404, 'NOT_FOUND', 'testIamPermissions is a POST');
      const body = text ? JSON.parse(text) : {};
      if (Object.keys(body).some((k) => k !== 'permissions') || !Array.isArray(body.permissions) || body.permissions.some((p: unknown) => typeof p !== 'string')) {
        return this.error(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload: permissions must be a list of strings.');
      }
      const bad = body.permissions.find((p: string) => !SECRET_PERMISSIONS.test(p));
      if (bad) return this.error(res, 400, 'INVALID_ARGUMENT', `Permission ${bad} is not valid for this resource.`);
      if (!secret) return this.error(res, 404, 'NOT_FOUND', `Secret [${resource}] not found or has no versions.`);
      const granted = body.permissions.filter((p: string) => this.callerPermissions.has(p));
      // Google leaves an empty repeated field out of the answer.
      return void res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(granted.length ? { permissions: granted } : {}));
    }
    if (req.method !== 'GET' || text !== '') return this.error(res, 400, 'INVALID_ARGUMENT', 'The request body must be empty.');
    if (!secret) return this.error(res, 404, 'NOT_FOUND', `Secret [${resource}] not found or has no versions.`);
    if (verb === ':getIamPolicy') {
      const v = url.searchParams.get('options.requestedPolicyVersion');
      if (v !== null && !['0', '1', '3'].includes(v)) return this.error(res, 400, 'INVALID_ARGUMENT', `Invalid requested policy version ${v}.`);
      if (!this.callerPermissions.has('secretmanager.secrets.getIamPolicy')) {
        return this.error(res, 403, 'PERMISSION_DENIED', `Permission 'secretmanager.secrets.getIamPolicy' denied for resource '${resource}'.`);
      }
      return this.ok(res, secret.bindings.length ? { version: 1, etag: 'BwYbNq1C6pk=', bindings: secret.bindings } : { etag: 'ACAB' });
    }
    if (versionPart) {
      const n = version === 'latest' ? secret.versions.length : Number(version);
      const state = secret.versions[n - 1];
      if (state === undefined) return this.error(res, 404, 'NOT_FOUND', `Secret Version [${resource}/versions/${version}] not found.`);
      return this.ok(res, { name: `${resource}/versions/${n}`, createTime: '2026-01-01T00:00:00Z', state });
    }
    return this.ok(res, { name: resource, replication: { automatic: {} }, createTime: '2026-01-01T00:00:00Z', etag: '"16f3a"' });
  }

  private ok(res: http.ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
  }

  private error(res: http.ServerResponse, code: number, status: string, message: string, reason?: string): void {
    res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' }).end(
      JSON.stringify({
        error: {
          code,
          message,
          status,
          ...(reason ? { details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata: { service: 'secretmanager.googleapis.com' } }] } : {}),
        },
      }),
    );
  }
}
