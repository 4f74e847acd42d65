/**
 * Which credentials the activation wait uses. It runs inside `cdktf deploy` (a local-exec inherits
 * Terraform's environment), so it must find the identity the google provider deploys with, the way
 * the provider finds it: GOOGLE_OAUTH_ACCESS_TOKEN, then GOOGLE_CREDENTIALS (or its older names; a
 * key file's path or its JSON), then Application Default Credentials; GOOGLE_IMPERSONATE_SERVICE_ACCOUNT
 * on top. With Application Default Credentials alone, a deploy authenticated any other way created
 * the VMs and then failed its wait for want of credentials.
 *
 * Pure: the choice is tested without a cloud; activation-wait-main.ts builds the client.
 */

/** The provider's variables, in its order of precedence. */
export const ACCESS_TOKEN_VARIABLE = 'GOOGLE_OAUTH_ACCESS_TOKEN';
export const CREDENTIALS_VARIABLES = ['GOOGLE_CREDENTIALS', 'GOOGLE_CLOUD_KEYFILE_JSON', 'GCLOUD_KEYFILE_JSON'] as const;
export const IMPERSONATION_VARIABLE = 'GOOGLE_IMPERSONATE_SERVICE_ACCOUNT';

export type CredentialSource =
  | { readonly kind: 'access-token'; readonly variable: string; readonly token: string }
  | { readonly kind: 'credentials-json'; readonly variable: string; readonly json: Record<string, unknown> }
  | { readonly kind: 'credentials-file'; readonly variable: string; readonly path: string }
  | { readonly kind: 'application-default' };

export interface CredentialChoice {
  readonly source: CredentialSource;
  /** A service account email to impersonate with the source's credentials. */
  readonly impersonate?: string;
  /** What was chosen, for the deploy log: variable names only, never a value. */
  readonly description: string;
}

/**
 * @param env the process environment
 * @throws when GOOGLE_CREDENTIALS (or an older name) holds neither JSON nor a path; the message names
 *   the variable, never its value.
 */
export function chooseCredentials(env: Readonly<Record<string, string | undefined>>): CredentialChoice {
  const impersonate = env[IMPERSONATION_VARIABLE]?.trim() || undefined;
  const via = impersonate ? `, impersonating ${impersonate} (${IMPERSONATION_VARIABLE})` : '';
  const token = env[ACCESS_TOKEN_VARIABLE]?.trim();
  if (token) {
    return { source: { kind: 'access-token', variable: ACCESS_TOKEN_VARIABLE, token }, impersonate, description: `the access token in ${ACCESS_TOKEN_VARIABLE}${via}` };
  }
  for (const variable of CREDENTIALS_VARIABLES) {
    const value = env[variable]?.trim();
    if (!value) continue;
    if (value.startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(value);
      } catch {
        throw new Error(`${variable} starts like JSON but does not parse; set it to a service account key file's path or its JSON contents`);
      }
      return { source: { kind: 'credentials-json', variable, json: json as Record<string, unknown> }, impersonate, description: `the key JSON in ${variable}${via}` };
    }
    return { source: { kind: 'credentials-file', variable, path: value }, impersonate, description: `the key file ${variable} names${via}` };
  }
  return {
    source: { kind: 'application-default' },
    impersonate,
    description: `Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS or gcloud auth application-default login)${via}`,
  };
}
