/**
 * `manager.apiKeyEnv` names the variable dskit reads the API key from — and sends, as the key, to
 * the manager. Naming a variable that holds something else (`PATH`, or another tool's secret like
 * `AWS_SECRET_ACCESS_KEY`) would hand that value to the manager and to whoever answers at its
 * URL. So the name must be one no system or other tool owns: the rule below, refused at config
 * load with the reason.
 */

/** Variables the shell, the OS or the runtime own (compared without case: Windows ignores it). */
const SYSTEM_VARIABLES = [
  'PATH', 'HOME', 'USER', 'USERNAME', 'LOGNAME', 'SHELL', 'PWD', 'OLDPWD', 'TERM', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TMP', 'TEMP',
  'HOSTNAME', 'MAIL', 'EDITOR', 'VISUAL', 'PAGER', 'DISPLAY', 'IFS', 'PS1', 'CI', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'PYTHONPATH',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA', 'SYSTEMROOT', 'WINDIR', 'COMSPEC', 'PATHEXT',
] as const;

/**
 * Prefixes of variables other tools read their settings and credentials from: cloud SDKs, CI
 * systems, package managers, Node, and dskit's own settings.
 */
const OWNED_PREFIXES = [
  'LC_', 'XDG_', 'SSH_', 'GPG_', 'GNUPG', 'NODE_', 'NPM_', 'YARN_', 'AWS_', 'AMAZON_', 'GOOGLE_', 'GCLOUD_', 'GCP_', 'CLOUDSDK_', 'AZURE_', 'ARM_',
  'GITHUB_', 'GH_', 'GITLAB_', 'CI_', 'RUNNER_', 'BUILDKITE_', 'CIRCLE_', 'DOCKER_', 'KUBE', 'VAULT_', 'TF_', 'CDK_', 'CDKTF_', 'JSII_', 'DSKIT_',
] as const;

/** Why `name` may not hold the API key, or undefined when it may. */
export function reservedApiKeyEnv(name: string): string | undefined {
  const upper = name.toUpperCase();
  if ((SYSTEM_VARIABLES as readonly string[]).includes(upper)) return 'a system variable';
  const prefix = OWNED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return `a variable of another tool (${prefix}*)`;
  return undefined;
}

export const API_KEY_ENV_RULE =
  'must name a variable that holds only the Deep Security API key, because dskit sends its value to the manager as the key: ' +
  'not a system variable (PATH, HOME, USER, LC_*, ...) nor one other tools read (AWS_*, GOOGLE_*, CLOUDSDK_*, AZURE_*, GITHUB_*, DSKIT_*, ...); ' +
  'e.g. DS_API_KEY (the default)';
