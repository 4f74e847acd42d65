/**
 * Context lookups the AWS app could not do. With an account (`aws.account`, or the credentials'
 * account under the CDK CLI), CDK looks up the availability zones and each VM's image in that
 * account, which needs AWS credentials; the CDK CLI performs those lookups, pins them in
 * cdk.context.json and synthesizes again. Run directly (`dskit synth`, `npm run synth`) the app
 * cannot: the stack then holds placeholders that its deploy-time rule refuses (lib/aws: a
 * placeholder never reaches a deploy), and this says, one line per lookup, exactly what needs
 * credentials — synth itself needs none.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { SandboxConfig } from '../lib/config';
import { imageLookup } from '../lib/aws/machine-image';

const FIX = 'run `npx cdk synth` once with AWS credentials for that account (the result is pinned in cdk.context.json; commit it to share the pin)';

/** Which `aws.vms[i].os` keys a missing image lookup serves. */
function vmKeysFor(config: SandboxConfig, provider: string, props: Record<string, unknown>): string[] {
  return config.aws!.vms.flatMap((vm, i) => {
    const lookup = imageLookup(vm.os as Parameters<typeof imageLookup>[0], vm.arch);
    const same = lookup.provider === provider && (provider !== 'ssm' || lookup.props.parameterName === props.parameterName);
    return same ? [`aws.vms[${i}].os`] : [];
  });
}

export function pendingLookupNotices(assembly: CloudAssembly, config: SandboxConfig, file: string, env = process.env): string[] {
  // The CDK CLI sets CDK_CLI_VERSION for the apps it runs: it does the lookups itself and synthesizes again.
  if (env.CDK_CLI_VERSION) return [];
  const aws = config.aws!;
  const account = aws.account ? `aws.account ${aws.account}` : `CDK_DEFAULT_ACCOUNT ${env.CDK_DEFAULT_ACCOUNT ?? ''}`.trim();
  const pending = 'until then the template holds placeholders and its deploy is refused';
  const lines: string[] = [];
  for (const missing of assembly.manifest.missing ?? []) {
    if (missing.provider === 'availability-zones') {
      lines.push(
        `${file}: ${aws.account ? 'aws.account' : 'CDK_DEFAULT_ACCOUNT'}: with ${account} set, the VPC's availability zones in ${aws.region} are ` +
          `looked up in that account (EC2 DescribeAvailabilityZones), which needs AWS credentials; ${FIX}; ${pending} (zones dummy1a, dummy1b)`,
      );
    } else if (missing.provider === 'ssm' || missing.provider === 'ami') {
      const props = missing.props as unknown as Record<string, unknown>;
      const what = missing.provider === 'ssm' ? `SSM GetParameter ${String(props.parameterName)}` : 'EC2 DescribeImages';
      const keys = vmKeysFor(config, missing.provider, props);
      lines.push(`${file}: ${keys.join(', ') || 'aws.vms'}: the image is looked up in ${account} (${what}), which needs AWS credentials; ${FIX}; ${pending}`);
    } else {
      lines.push(`${file}: aws: a CDK lookup (${missing.provider}) in ${account} needs AWS credentials; ${FIX}; ${pending}`);
    }
  }
  return lines;
}
