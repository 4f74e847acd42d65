/**
 * A google-auth-library client for the identity Terraform deploys with (activation-credentials.ts
 * chooses it): the deploy's activation wait reads guest attributes with it, and `dskit preflight`
 * checks the same identity before a deploy. No cdktf here; google-auth-library is required inside
 * the function, so nothing else loads it.
 */
import type { AuthClient } from 'google-auth-library';
import type { CredentialChoice } from './activation-credentials';

/** Impersonation calls the IAM Credentials API with the source credentials. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** A client for `choice` whose tokens carry `scopes`. */
export async function authClientFor(choice: CredentialChoice, scopes: readonly string[]): Promise<AuthClient> {
  const { GoogleAuth, Impersonated, OAuth2Client } = require('google-auth-library') as typeof import('google-auth-library');
  const { source, impersonate } = choice;
  const sourceScopes = impersonate ? [CLOUD_PLATFORM_SCOPE] : [...scopes];
  let client: AuthClient;
  if (source.kind === 'access-token') {
    const oauth = new OAuth2Client();
    oauth.setCredentials({ access_token: source.token });
    client = oauth;
  } else if (source.kind === 'credentials-json') {
    client = await new GoogleAuth({ credentials: source.json, scopes: sourceScopes }).getClient();
  } else if (source.kind === 'credentials-file') {
    client = await new GoogleAuth({ keyFile: source.path, scopes: sourceScopes }).getClient();
  } else {
    client = await new GoogleAuth({ scopes: sourceScopes }).getClient();
  }
  if (!impersonate) return client;
  return new Impersonated({ sourceClient: client as InstanceType<typeof OAuth2Client>, targetPrincipal: impersonate, targetScopes: [...scopes], lifetime: 3600 });
}
