/**
 * What `cdk deploy` needs from the AWS account, asked with the credentials it would use (the AWS
 * SDK's default chain: AWS_PROFILE, SSO, keys, a role), in `aws.region`:
 * - credentials that work, for the configured account (STS GetCallerIdentity);
 * - `cdk bootstrap` done: the bootstrap stack's SSM parameter `/cdk-bootstrap/<qualifier>/version`
 *   at the version this aws-cdk-lib needs (DefaultStackSynthesizer: 6; the template's
 *   CheckBootstrapVersion rule refuses older);
 * - the token secret: it exists, is not scheduled for deletion, has a current value, and its
 *   encryption key is one the instance role can use (the role is granted GetSecretValue on that
 *   secret only, and no kms:Decrypt: a customer-managed key needs its key policy to allow it);
 * - each VM's instance type offered in its zone (lib/aws/placement.ts).
 * The SDK clients are required inside the functions: only preflight loads them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { awsPlacementChecks, sdkOfferings } from '../../aws/placement';
import { PACKAGE_ROOT, activationTokenSecretOf, type SandboxConfig } from '../../config';
import { fail, oneLine, pass, skip, warn, type Check } from './check';

/** What this aws-cdk-lib's DefaultStackSynthesizer requires (MIN_BOOTSTRAP_STACK_VERSION). */
export const MIN_BOOTSTRAP_VERSION = 6;
export const DEFAULT_QUALIFIER = 'hnb659fds';

/** Bounded like the other SDK calls of the CLI: two attempts, 5 s to connect, 15 s per answer. */
const CLIENT_OPTIONS = { maxAttempts: 2, requestHandler: { connectionTimeout: 5000, requestTimeout: 15000 } };

/** The bootstrap qualifier: cdk.json's `@aws-cdk/core:bootstrapQualifier` context, else the CDK's default. */
export function bootstrapQualifier(projectDir = PACKAGE_ROOT): string {
  try {
    const q = JSON.parse(fs.readFileSync(path.join(projectDir, 'cdk.json'), 'utf8'))?.context?.['@aws-cdk/core:bootstrapQualifier'];
    return typeof q === 'string' && q !== '' ? q : DEFAULT_QUALIFIER;
  } catch {
    return DEFAULT_QUALIFIER;
  }
}

interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_FIX = 'set AWS_PROFILE (then `aws sso login`, or `aws configure`), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, for the account you deploy to';

/** An SDK failure as why, and whether it is about the credentials rather than the call. */
function describe(err: unknown): { why: string; credentials: boolean; network: boolean } {
  const e = err as SdkError;
  const name = e.name ?? 'Error';
  const message = oneLine(e.message ?? String(err));
  if (name === 'CredentialsProviderError' || /could not load credentials|credential/i.test(name) || /could not load credentials/i.test(message)) {
    return { why: `no AWS credentials found (${message})`, credentials: true, network: false };
  }
  if (/^(InvalidClientTokenId|UnrecognizedClientException|ExpiredToken|ExpiredTokenException|SignatureDoesNotMatch|InvalidSignatureException)$/.test(name)) {
    return { why: `${name}: ${message}`, credentials: true, network: false };
  }
  const code = e.code ?? (/\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT)\b/.exec(message)?.[1] as string | undefined);
  if (code && /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT)$/.test(code)) {
    return { why: `cannot reach AWS (${code}${code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? ': the endpoint\'s name does not resolve' : ''})`, credentials: false, network: true };
  }
  return { why: `${name}: ${message}`, credentials: false, network: false };
}

export async function awsChecks(config: SandboxConfig, cwd: string, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const aws = config.aws;
  if (!aws) return [];
  const region = aws.region;
  const checks: Check[] = [];

  // 1. Who the credentials are.
  const sts = require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
  const stsClient = new sts.STSClient({ region, ...CLIENT_OPTIONS });
  let account: string | undefined;
  try {
    const id = await stsClient.send(new sts.GetCallerIdentityCommand({}));
    account = id.Account;
    if (aws.account && id.Account !== aws.account) {
      checks.push(fail('AWS credentials', `they are for account ${id.Account} (${id.Arn}), but aws.account is ${aws.account}`, 'use credentials of that account, or change aws.account', 'aws.account'));
      return checks;
    }
    checks.push(pass('AWS credentials', `account ${id.Account} as ${id.Arn}`));
  } catch (err) {
    const d = describe(err);
    checks.push(fail('AWS credentials', d.why, d.network ? 'check your network, proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL' : CREDENTIAL_FIX));
    const secret = activationTokenSecretOf(config.manager) === undefined ? '' : ', the token secret';
    checks.push(skip('AWS account checks', `cdk bootstrap${secret} and the instance types need working credentials (above)`));
    return checks;
  } finally {
    stsClient.destroy();
  }

  // 2. cdk bootstrap.
  const qualifier = bootstrapQualifier();
  const parameter = `/cdk-bootstrap/${qualifier}/version`;
  const bootstrap = `npx cdk bootstrap aws://${account}/${region}`;
  const ssm = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
  const ssmClient = new ssm.SSMClient({ region, ...CLIENT_OPTIONS });
  try {
    const p = await ssmClient.send(new ssm.GetParameterCommand({ Name: parameter }));
    const version = Number(p.Parameter?.Value);
    checks.push(
      Number.isInteger(version) && version >= MIN_BOOTSTRAP_VERSION
        ? pass('cdk bootstrap', `${region} is bootstrapped (${parameter} = ${version}; this CDK needs >= ${MIN_BOOTSTRAP_VERSION})`)
        : fail('cdk bootstrap', `${parameter} is ${JSON.stringify(p.Parameter?.Value)}; this CDK needs version >= ${MIN_BOOTSTRAP_VERSION}`, `run \`${bootstrap}\` again to update it`),
    );
  } catch (err) {
    const e = err as SdkError;
    if (e.name === 'ParameterNotFound') {
      checks.push(fail('cdk bootstrap', `${region} of account ${account} is not bootstrapped (no SSM parameter ${parameter})`, `run \`${bootstrap}\``));
    } else {
      checks.push(warn('cdk bootstrap', `could not read ${parameter}: ${describe(err).why}`, `allow ssm:GetParameter on it, or check with \`aws ssm get-parameter --name ${parameter} --region ${region}\``));
    }
  } finally {
    ssmClient.destroy();
  }

  // 3. The token secret.
  checks.push(await awsSecretCheck(config, region));

  // 4. Instance types in their zones, with the credentials just checked.
  checks.push(...(await awsPlacementChecks(config, cwd, env, sdkOfferings())));
  return checks;
}

async function awsSecretCheck(config: SandboxConfig, region: string): Promise<Check> {
  const name = activationTokenSecretOf(config.manager);
  const CHECK = 'token secret (AWS)';
  const KEY = 'manager.activationTokenSecret';
  if (name === undefined) return skip(CHECK, 'vision-one: there is no activation token (the Agent Installer package registers the agent)', 'manager.type');
  const sm = require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
  const client = new sm.SecretsManagerClient({ region, ...CLIENT_OPTIONS });
  try {
    const s = await client.send(new sm.DescribeSecretCommand({ SecretId: name }));
    if (s.DeletedDate) {
      return fail(CHECK, `secret "${name}" is scheduled for deletion (${s.DeletedDate.toISOString()})`, `restore it: aws secretsmanager restore-secret --secret-id ${name} --region ${region}`, KEY);
    }
    const current = Object.values(s.VersionIdsToStages ?? {}).some((stages) => stages.includes('AWSCURRENT'));
    if (!current) {
      return fail(CHECK, `secret "${name}" has no current value (no AWSCURRENT version): the VMs would read nothing`, `put the token in it: aws secretsmanager put-secret-value --secret-id ${name} --region ${region} --secret-string file:///dev/stdin`, KEY);
    }
    if (s.KmsKeyId && !/(^|\/)aws\/secretsmanager$/.test(s.KmsKeyId)) {
      return warn(
        CHECK,
        `secret "${name}" is encrypted with KMS key ${s.KmsKeyId}: the instance role may read the secret but has no kms:Decrypt on that key`,
        'allow the instance role kms:Decrypt in the key\'s policy, or re-create the secret with the default key (aws/secretsmanager)',
        KEY,
      );
    }
    return pass(CHECK, `"${name}" exists in ${region} with a current value; the stack lets only the VMs' instance role read it (secretsmanager:GetSecretValue)`, KEY);
  } catch (err) {
    const e = err as SdkError;
    if (e.name === 'ResourceNotFoundException') {
      return fail(
        CHECK,
        `no secret named "${name}" in ${region}`,
        `create it with the activation token as the README shows (aws secretsmanager create-secret --region ${region} --name ${name} --secret-string file:///dev/stdin)`,
        KEY,
      );
    }
    return warn(CHECK, `could not describe secret "${name}": ${describe(err).why}`, 'allow secretsmanager:DescribeSecret on it to have preflight check it', KEY);
  } finally {
    client.destroy();
  }
}
