#!/usr/bin/env node
import './lean-start';
import { App } from 'aws-cdk-lib';
import { addAwsSolutionsChecks } from '../lib/aws/nag';
import { AwsSandboxStack } from '../stacks/aws-sandbox-stack';
import { loadAppConfig } from './app-config';
import { missingLookupProblems } from './aws-lookups';
import { APP_ERROR_EXIT } from './app-errors';
import { localCdkContext } from './cdk-context';

const { config, file } = loadAppConfig('aws');
// CloudFormation schema validation runs in the tests (test/aws/cfn-validate.test.ts); here it
// would triple the synth time of every `cdk deploy`. cdk-nag below still runs on every synth.
const app = new App({ builtinCloudFormationValidation: false, context: localCdkContext() });
new AwsSandboxStack(app, `${config.name}-aws`, {
  config,
  configFile: file,
  env: { region: config.aws!.region, account: config.aws!.account ?? process.env.CDK_DEFAULT_ACCOUNT },
  description: `dskit Deep Security sandbox ${config.name} (AWS)`,
});
addAwsSolutionsChecks(app);
const lookups = missingLookupProblems(app.synth(), config, file);
if (lookups.length > 0) {
  for (const line of lookups) process.stderr.write(`${line}\n`);
  process.exit(APP_ERROR_EXIT);
}
