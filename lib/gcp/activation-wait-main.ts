/**
 * Run by the stack's activation wait (a terraform_data local-exec) during `cdktf deploy`:
 * `node --require tsx/cjs activation-wait-main.ts '<json spec>'`. Reads guest attributes with the
 * deployer's Application Default Credentials, the same ones Terraform uses. Exit 1 fails the deploy.
 */
import { GoogleAuth } from 'google-auth-library';
import { STATUS_KEY, STATUS_NAMESPACE, validateWaitSpec, waitForActivation } from './activation-wait';

async function main(): Promise<number> {
  let spec;
  try {
    spec = validateWaitSpec(JSON.parse(process.argv[2] ?? ''));
  } catch (err) {
    const why = err instanceof SyntaxError ? `expected a JSON spec {project, zone, instances, timeoutMinutes} as the only argument (${err.message})` : (err as Error).message;
    process.stderr.write(`dskit: activation wait: ${why.replace(/^activation wait: /, '')}\n`);
    return 2;
  }
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/compute.readonly'] });
  const client = await auth.getClient();
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
