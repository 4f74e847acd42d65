/**
 * What `cdktf deploy` needs from the GCP project, asked as the identity Terraform deploys with
 * (lib/gcp/activation-credentials.ts: GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS, then
 * Application Default Credentials; GOOGLE_IMPERSONATE_SERVICE_ACCOUNT on top):
 * - Terraform installed, recent enough (terraform.ts);
 * - credentials that give a token;
 * - the token secret (Secret Manager REST v1): it exists, its latest version is ENABLED (the VMs
 *   read `versions/latest`), and the VMs' service account `<sandbox>-dskit-vm@<project>` may read
 *   it — already (a `roles/secretmanager.secretAccessor` binding on the secret), or once the
 *   deploy grants it, which needs `secretmanager.secrets.setIamPolicy` on the secret for the
 *   deploying identity (testIamPermissions).
 * `CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER` (gcloud's own override) points it at another
 * endpoint, e.g. Private Service Connect. google-auth-library is required inside: only preflight loads it.
 */
import { activationTokenSecretOf, type SandboxConfig } from '../../config';
import { chooseCredentials } from '../../gcp/activation-credentials';
import { CLOUD_PLATFORM_SCOPE, authClientFor } from '../../gcp/auth-client';
import { serviceAccountId } from '../../gcp/names';
import { fail, oneLine, pass, skip, warn, type Check } from './check';
import { terraformCheck } from './terraform';

export const GCP_SECRETS_ENDPOINT_ENV = 'CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER';
const SECRETS_ENDPOINT = 'https://secretmanager.googleapis.com/';
export const SECRET_ACCESSOR = 'roles/secretmanager.secretAccessor';

interface GoogleFailure {
  readonly status?: number;
  readonly reason?: string;
  readonly message: string;
  readonly network?: string;
}

/** A gaxios error as status, google.rpc reason and message. */
function failureOf(err: unknown): GoogleFailure {
  const e = err as { status?: number; code?: string; message?: string; response?: { status?: number; data?: any } };
  const body = e.response?.data?.error;
  const reason = Array.isArray(body?.details) ? body.details.find((d: any) => typeof d?.reason === 'string')?.reason : undefined;
  const network = typeof e.code === 'string' && /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT)$/.test(e.code) ? e.code : undefined;
  return { status: e.response?.status ?? e.status, reason, message: oneLine(typeof body?.message === 'string' ? body.message : (e.message ?? String(err))), network };
}

const CREDENTIAL_FIX = 'run `gcloud auth application-default login` (or set GOOGLE_CREDENTIALS / GOOGLE_APPLICATION_CREDENTIALS to a key file)';

export async function gcpChecks(config: SandboxConfig, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const gcp = config.gcp;
  if (!gcp) return [];
  const checks: Check[] = [terraformCheck(env)];

  let choice;
  try {
    choice = chooseCredentials(env);
  } catch (err) {
    checks.push(fail('GCP credentials', (err as Error).message, CREDENTIAL_FIX));
    return checks;
  }
  type Requester = { request<T>(opts: { url: string; method?: 'GET' | 'POST'; data?: unknown; params?: Record<string, unknown> }): Promise<{ data: T }> };
  let client: Requester;
  try {
    const auth = await authClientFor(choice, [CLOUD_PLATFORM_SCOPE]);
    const token = await auth.getAccessToken();
    if (!token.token) throw new Error('no access token came back');
    client = auth as unknown as Requester;
    checks.push(pass('GCP credentials', `${choice.description}: a token for project ${gcp.project}'s APIs`));
  } catch (err) {
    const f = failureOf(err);
    const why = f.network ? `cannot reach Google (${f.network})` : /could not load the default credentials/i.test(f.message) ? 'none found' : f.message;
    checks.push(fail('GCP credentials', `${choice.description}: ${why}`, f.network ? 'check your network or proxy' : CREDENTIAL_FIX));
    const what = activationTokenSecretOf(config.manager) === undefined ? 'the project checks' : 'the token secret and its access';
    checks.push(skip('GCP project checks', `${what} need working credentials (above)`));
    return checks;
  }
  checks.push(...(await gcpSecretChecks(config, env, client)));
  return checks;
}

async function gcpSecretChecks(
  config: SandboxConfig,
  env: NodeJS.ProcessEnv,
  client: { request<T>(opts: { url: string; method?: 'GET' | 'POST'; data?: unknown }): Promise<{ data: T }> },
): Promise<Check[]> {
  const project = config.gcp!.project;
  const name = activationTokenSecretOf(config.manager);
  const KEY = 'manager.activationTokenSecret';
  const CHECK = 'token secret (GCP)';
  if (name === undefined) return [skip(CHECK, 'vision-one: there is no activation token (the Agent Installer package registers the agent)', 'manager.type')];
  const base = (env[GCP_SECRETS_ENDPOINT_ENV] || SECRETS_ENDPOINT).replace(/\/?$/, '/');
  const secretUrl = `${base}v1/projects/${encodeURIComponent(project)}/secrets/${encodeURIComponent(name)}`;
  const vmAccount = `${serviceAccountId(config.name)}@${project}.iam.gserviceaccount.com`;

  // Exists, with an enabled latest version (what the VMs read).
  try {
    await client.request({ url: secretUrl });
  } catch (err) {
    const f = failureOf(err);
    if (f.status === 404) {
      return [fail(CHECK, `no secret "${name}" in project ${project}`, `create it with the activation token as the README shows (gcloud secrets create ${name} --replication-policy=automatic --data-file=-)`, KEY)];
    }
    if (f.status === 403 && f.reason === 'SERVICE_DISABLED') {
      return [fail(CHECK, `the Secret Manager API is off in ${project}`, `gcloud services enable secretmanager.googleapis.com --project ${project}`, KEY)];
    }
    return [warn(CHECK, `could not read secret "${name}": ${f.status ? `HTTP ${f.status}: ` : ''}${f.network ? `cannot reach Secret Manager (${f.network})` : f.message}`, 'allow secretmanager.secrets.get on it to have preflight check it', KEY)];
  }
  const checks: Check[] = [];
  try {
    const v = await client.request<{ name?: string; state?: string }>({ url: `${secretUrl}/versions/latest` });
    checks.push(
      v.data.state === 'ENABLED'
        ? pass(CHECK, `"${name}" exists in ${project}; its latest version is enabled`, KEY)
        : fail(CHECK, `the latest version of "${name}" is ${v.data.state ?? 'in an unknown state'}: the VMs read the latest version`, `add the token as a new version: gcloud secrets versions add ${name} --data-file=-`, KEY),
    );
  } catch (err) {
    const f = failureOf(err);
    checks.push(
      f.status === 404
        ? fail(CHECK, `secret "${name}" has no version: the VMs would read nothing`, `add the token: gcloud secrets versions add ${name} --data-file=-`, KEY)
        : warn(CHECK, `could not read the latest version of "${name}": ${f.message}`, 'allow secretmanager.versions.get on it to have preflight check it', KEY),
    );
  }

  // Whether the VMs' service account may read it: now, or once the deploy grants it.
  const ACCESS = 'VMs may read the token secret (GCP)';
  try {
    const policy = await client.request<{ bindings?: { role?: string; members?: string[] }[] }>({ url: `${secretUrl}:getIamPolicy` });
    const granted = (policy.data.bindings ?? []).some((b) => b.role === SECRET_ACCESSOR && (b.members ?? []).includes(`serviceAccount:${vmAccount}`));
    if (granted) {
      checks.push(pass(ACCESS, `${vmAccount} has ${SECRET_ACCESSOR} on "${name}" already`));
      return checks;
    }
  } catch {
    // Reading the policy may be refused where changing it is not; testIamPermissions says.
  }
  try {
    const wanted = ['secretmanager.secrets.setIamPolicy'];
    const r = await client.request<{ permissions?: string[] }>({ url: `${secretUrl}:testIamPermissions`, method: 'POST', data: { permissions: wanted } });
    checks.push(
      (r.data.permissions ?? []).includes(wanted[0])
        ? pass(ACCESS, `the deploy grants ${vmAccount} ${SECRET_ACCESSOR} on "${name}" (you may set its IAM policy)`)
        : fail(
            ACCESS,
            `you may not set the IAM policy of "${name}", so the deploy cannot let ${vmAccount} read it`,
            `ask for roles/secretmanager.admin on the secret (or the project), or have an admin grant ${vmAccount} ${SECRET_ACCESSOR} on it`,
            KEY,
          ),
    );
  } catch (err) {
    checks.push(warn(ACCESS, `could not test permissions on "${name}": ${failureOf(err).message}`, undefined, KEY));
  }
  return checks;
}
