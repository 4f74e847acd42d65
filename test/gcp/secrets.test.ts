/**
 * The activation token and the API key never reach Terraform (SPEC §4): the VMs read the token at
 * boot with their own identity, which may read that one secret and nothing else.
 */
import { configWith } from '../helpers/config';
import { onlyResource, resourcesOf, synthGcp, type Synthesized } from './synth';

const CANARY = 'canary-7d1f0c2a-token-never-in-terraform';
// Every place a user might put the token or the key on the way to a deploy.
const CANARY_ENV = ['DS_API_KEY', 'LAB_DS_KEY', 'DS_ACTIVATION_TOKEN', 'DSKIT_ACTIVATION_TOKEN', 'ACTIVATION_TOKEN', 'TOKEN'];

describe('GCP secrets: token and API key stay out of cdk.tf.json', () => {
  let s: Synthesized;
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const name of CANARY_ENV) {
      saved[name] = process.env[name];
      process.env[name] = CANARY;
    }
    s = synthGcp(
      configWith((r) => {
        r.manager.apiKeyEnv = 'LAB_DS_KEY';
        r.manager.activationTokenSecret = 'lab-activation-token';
        r.gcp.vms.push({ name: 'u24', os: 'ubuntu-24.04' });
      }),
    );
  });
  afterAll(() => {
    for (const name of CANARY_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  test('the canary value set in every token/key variable appears nowhere, boot scripts included', () => {
    expect(resourcesOf(s.tf, 'google_compute_instance').length).toBe(3);
    expect(s.json).not.toContain(CANARY);
  });

  test('no credentials in the provider block', () => {
    const provider = s.tf.provider.google[0];
    for (const key of ['credentials', 'access_token', 'impersonate_service_account']) expect(provider[key]).toBeUndefined();
  });

  test('Terraform manages no secret and no secret version: only access to the user-made one', () => {
    expect(resourcesOf(s.tf, 'google_secret_manager_secret')).toEqual([]);
    expect(resourcesOf(s.tf, 'google_secret_manager_secret_version')).toEqual([]);
  });

  test('the VM service account reads that one secret (secret-level IAM), and writes logs and metrics', () => {
    const sa = onlyResource(s.tf, 'google_service_account');
    expect(sa.account_id).toBe('ds-eval-dskit-vm');
    const secretGrant = onlyResource(s.tf, 'google_secret_manager_secret_iam_member');
    expect(secretGrant).toMatchObject({ secret_id: 'lab-activation-token', role: 'roles/secretmanager.secretAccessor' });
    expect(secretGrant.member).toMatch(/^serviceAccount:\$\{google_service_account\.[^.]+\.email\}$/);
    const projectRoles = resourcesOf(s.tf, 'google_project_iam_member');
    expect(projectRoles.map((m) => m.role).sort()).toEqual(['roles/logging.logWriter', 'roles/monitoring.metricWriter']);
    for (const m of projectRoles) expect(m.member).toBe(secretGrant.member);
  });
});
