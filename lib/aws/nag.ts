/**
 * cdk-nag AwsSolutions for the AWS app. Findings are fixed, or acknowledged with a specific
 * reason where the resource is made (lib/aws/*), so a new unexplained finding fails synth.
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Run AwsSolutions on every stack of the app at synth; an unacknowledged error fails synth. */
export function addAwsSolutionsChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);
  return checks;
}
