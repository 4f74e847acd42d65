/** Synth accepts placeholder values; `cdktf deploy` must refuse them at plan time, before creating anything. */
import { configWith } from '../helpers/config';
import { onlyResource, synthGcp, type Synthesized } from './synth';

describe('GCP deploy guard with the example placeholder values', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(configWith(), 'ds-eval-gcp', 'sandbox.example.yaml');
  });

  test('the network (no dependencies, planned first) carries a failing precondition', () => {
    const [precondition] = onlyResource(s.tf, 'google_compute_network').lifecycle.precondition;
    expect(precondition.condition).toBe('${(length(local.dskit_placeholder_problems) < 1)}');
    // three placeholders, and the agent signing key the repo does not ship
    expect(s.tf.locals?.dskit_placeholder_problems).toHaveLength(4);
  });

  test('its message names the file, each placeholder key and value, and what to do', () => {
    const [{ error_message: message }] = onlyResource(s.tf, 'google_compute_network').lifecycle.precondition;
    expect(message).toContain('sandbox.example.yaml: manager.tenantId: "00000000-0000-0000-0000-000000000000" is a placeholder');
    expect(message).toContain('sandbox.example.yaml: gcp.project: "my-project" is a placeholder; set your GCP project id');
    expect(message).toMatch(/Edit the config .* and deploy again\.$/);
  });
});

describe('GCP deploy guard with real-looking values', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthGcp(
      configWith((r) => {
        r.manager.tenantId = '11111111-2222-3333-4444-555555555555';
        r.manager.tenantNumericId = 12345;
        r.gcp.project = 'acme-ds-lab';
        r.manager.verifyPackageSignature = false; // no signing key in the repo: a deploy blocker of its own
      }),
    );
  });

  test('no precondition and no problem list', () => {
    expect(onlyResource(s.tf, 'google_compute_network').lifecycle).toBeUndefined();
    expect(s.tf.locals).toBeUndefined();
  });
});

describe('GCP deploy guard with real values but no agent signing key', () => {
  test('the only problem is the missing key, naming the file to create and the alternative', () => {
    const s = synthGcp(
      configWith((r) => {
        r.manager.tenantId = '11111111-2222-3333-4444-555555555555';
        r.manager.tenantNumericId = 12345;
        r.gcp.project = 'acme-ds-lab';
      }),
    );
    expect(s.tf.locals?.dskit_placeholder_problems).toEqual([
      expect.stringMatching(/manager\.verifyPackageSignature: true, but there is no agent signing key at agents\/keys\/ds-agent-signing-key\.asc.*or set manager\.verifyPackageSignature: false$/),
    ]);
  });

  test('Windows-only sandboxes need no key (Authenticode)', () => {
    const s = synthGcp(
      configWith((r) => {
        r.manager.tenantId = '11111111-2222-3333-4444-555555555555';
        r.manager.tenantNumericId = 12345;
        r.gcp.project = 'acme-ds-lab';
        r.gcp.vms = [{ name: 'win', os: 'windows-2022', count: 1 }];
      }),
    );
    expect(s.tf.locals).toBeUndefined();
  });
});
