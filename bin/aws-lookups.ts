/**
 * Context lookups the AWS app could not do. With a concrete account (`aws.account`), CDK looks up
 * the account's availability zones (and rhel-9's AMI) with AWS credentials. The CDK CLI performs
 * those lookups and synthesizes again; run directly (`dskit synth`, `npm run synth`) the app would
 * write placeholder values (zones `dummy1a`, `dummy1b`) and report success. This says exactly what
 * needs credentials instead, and the app fails (exit 2) rather than leave a template that cannot
 * be deployed.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { SandboxConfig } from '../lib/config';

const FIX = 'run `npx cdk synth` once with AWS credentials for that account (the result is cached in cdk.context.json; commit it to pin it)';

export function missingLookupProblems(assembly: CloudAssembly, config: SandboxConfig, file: string, env = process.env): string[] {
  // The CDK CLI sets CDK_CLI_VERSION for the apps it runs: it does the lookups itself and synthesizes again.
  if (env.CDK_CLI_VERSION) return [];
  const aws = config.aws!;
  const account = aws.account ? `aws.account ${aws.account}` : `CDK_DEFAULT_ACCOUNT ${env.CDK_DEFAULT_ACCOUNT ?? ''}`.trim();
  const lines: string[] = [];
  for (const missing of assembly.manifest.missing ?? []) {
    if (missing.provider === 'availability-zones') {
      lines.push(
        `${file}: ${aws.account ? 'aws.account' : 'CDK_DEFAULT_ACCOUNT'}: with ${account} set, the VPC's availability zones in ${aws.region} are ` +
          `looked up in that account (EC2 DescribeAvailabilityZones), which needs AWS credentials; ${FIX}, ` +
          'or remove aws.account so CloudFormation picks the zones at deploy time; synth stops here: the template it wrote holds placeholder zones (dummy1a, dummy1b)',
      );
    } else if (missing.provider === 'ami') {
      const keys = aws.vms.flatMap((vm, i) => (vm.os === 'rhel-9' ? [`aws.vms[${i}].os`] : []));
      lines.push(
        `${file}: ${keys.join(', ') || 'aws.vms'}: rhel-9 publishes no public AMI parameter, so its AMI is looked up in ${account} ` +
          `(EC2 DescribeImages), which needs AWS credentials; ${FIX}`,
      );
    } else {
      lines.push(`${file}: aws: a CDK lookup (${missing.provider}) in ${account} needs AWS credentials; ${FIX}`);
    }
  }
  return lines;
}
