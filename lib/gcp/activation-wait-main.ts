/**
 * Run by the stack's activation wait (a terraform_data local-exec) during `cdktf deploy`:
 * `node --require tsx/cjs activation-wait-main.ts '<json spec>'`. Reads guest attributes as the
 * identity Terraform deploys with (activation-credentials.ts). Exit 1 fails the deploy.
 */
import { GoogleAuth, Impersonated, OAuth2Client, type AuthClient } from 'google-auth-library';
import { chooseCredentials, type CredentialChoice } from './activation-credentials';
import { STATUS_KEY, STATUS_NAMESPACE, validateWaitSpec, waitForActivation } from './activation-wait';

const COMPUTE_READONLY = 'https://www.googleapis.com/auth/compute.readonly';
// Impersonation calls the IAM Credentials API with the source credentials.
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

async function clientFor(choice: CredentialChoice): Promise<AuthClient> {
  const { source, impersonate } = choice;
  const scopes = [impersonate ? CLOUD_PLATFORM : COMPUTE_READONLY];
  let client: AuthClient;
  if (source.kind === 'access-token') {
    const oauth = new OAuth2Client();
    oauth.setCredentials({ access_token: source.token });
    client = oauth;
  } else if (source.kind === 'credentials-json') {
    client = await new GoogleAuth({ credentials: source.json, scopes }).getClient();
  } else if (source.kind === 'credentials-file') {
    client = await new GoogleAuth({ keyFile: source.path, scopes }).getClient();
  } else {
    client = await new GoogleAuth({ scopes }).getClient();
  }
  if (!impersonate) return client;
  return new Impersonated({ sourceClient: client as OAuth2Client, targetPrincipal: impersonate, targetScopes: [COMPUTE_READONLY], lifetime: 3600 });
}

async function main(): Promise<number> {
  let spec;
  try {
    spec = validateWaitSpec(JSON.parse(process.argv[2] ?? ''));
  } catch (err) {
    const why = err instanceof SyntaxError ? `expected a JSON spec {project, zone, instances, timeoutMinutes} as the only argument (${err.message})` : (err as Error).message;
    process.stderr.write(`dskit: activation wait: ${why.replace(/^activation wait: /, '')}\n`);
    return 2;
  }
  const credentials = chooseCredentials(process.env);
  process.stdout.write(`dskit: reading guest attributes with ${credentials.description}\n`);
  const client = await clientFor(credentials);
  const base = `https://compute.googleapis.com/compute/v1/projects/${encodeURIComponent(spec.project)}/zones/${encodeURIComponent(spec.zone)}/instances`;

  const readStatus = async (instance: string): Promise<string | undefined> => {
    try {
      const res = await client.request<{ variableValue?: string }>({
        url: `${base}/${encodeURIComponent(instance)}/getGuestAttributes`,
        params: { variableKey: `${STATUS_NAMESPACE}/${STATUS_KEY}` },
      });
      return res.data.variableValue;
    } catch (err) {
      const e = err as { status?: number; response?: { status?: number }; message?: string };
      // 404 until the boot script has written the attribute.
      if ((e.status ?? e.response?.status) === 404) return undefined;
      throw new Error(e.message ?? String(err));
    }
  };

  const result = await waitForActivation(spec, {
    readStatus,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`dskit: activation wait could not run: ${(err as Error).message}; check \`gcloud auth application-default login\`\n`);
    process.exit(1);
  },
);
