/**
 * Run by the stack's activation wait (a terraform_data local-exec) during `cdktf deploy`:
 * `node --require tsx/cjs activation-wait-main.ts '<json spec>'`. Reads guest attributes as the
 * identity Terraform deploys with (activation-credentials.ts). Exit 1 fails the deploy.
 */
import { chooseCredentials } from './activation-credentials';
import { authClientFor } from './auth-client';
import { classifyReadFailure, STATUS_KEY, STATUS_NAMESPACE, validateWaitSpec, waitForActivation, type ApiFailure, type StatusRead } from './activation-wait';

const COMPUTE_READONLY = 'https://www.googleapis.com/auth/compute.readonly';

/**
 * The Compute Engine API base URL: DSKIT_COMPUTE_ENDPOINT when the deploy reaches Google APIs
 * through another endpoint (e.g. Private Service Connect), else the public one.
 */
function computeEndpoint(env: NodeJS.ProcessEnv): string {
  const given = env.DSKIT_COMPUTE_ENDPOINT?.trim();
  if (!given) return 'https://compute.googleapis.com/compute/v1/';
  return given.endsWith('/') ? given : `${given}/`;
}

/** An error of google-auth-library's request (gaxios) as status, Google error reasons and message. */
function failureOf(err: unknown): ApiFailure {
  const e = err as { status?: number; code?: string; message?: string; response?: { status?: number; data?: any } };
  const data = e.response?.data;
  const apiError = data && typeof data === 'object' ? data.error : undefined;
  const reasons: string[] = Array.isArray(apiError?.errors) ? apiError.errors.map((x: { reason?: string }) => String(x.reason)) : [];
  if (typeof apiError?.status === 'string') reasons.push(apiError.status);
  return {
    status: e.response?.status ?? e.status,
    reasons,
    message: String(apiError?.message ?? e.message ?? e.code ?? err),
  };
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
  const client = await authClientFor(credentials, [COMPUTE_READONLY]);
  const base = `${computeEndpoint(process.env)}projects/${encodeURIComponent(spec.project)}/zones/${encodeURIComponent(spec.zone)}/instances`;

  const instanceExists = async (instance: string): Promise<boolean | undefined> => {
    try {
      await client.request({ url: `${base}/${encodeURIComponent(instance)}`, params: { fields: 'name' } });
      return true;
    } catch (err) {
      return failureOf(err).status === 404 ? false : undefined;
    }
  };

  const readStatus = async (instance: string): Promise<StatusRead> => {
    try {
      const res = await client.request<{ variableValue?: string }>({
        url: `${base}/${encodeURIComponent(instance)}/getGuestAttributes`,
        params: { variableKey: `${STATUS_NAMESPACE}/${STATUS_KEY}` },
      });
      return { kind: 'value', value: res.data.variableValue };
    } catch (err) {
      const failure = failureOf(err);
      // 404: not written yet, or the VM is gone; instances.get tells which.
      const exists = failure.status === 404 ? await instanceExists(instance) : undefined;
      return classifyReadFailure(instance, spec.zone, failure, exists);
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
