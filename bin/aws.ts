#!/usr/bin/env node
import './lean-start';
import { App } from 'aws-cdk-lib';
import { readPinnedLookups } from '../lib/aws/cdk-context';
import { addAwsSolutionsChecks } from '../lib/aws/nag';
import { AwsSandboxStack } from '../stacks/aws-sandbox-stack';
import { loadAppConfig } from './app-config';

const { config, file } = loadAppConfig('aws');
// CloudFormation schema validation runs in the tests (test/aws/cfn-validate.test.ts); here it
// would triple the synth time of every `cdk deploy`. cdk-nag below still runs on every synth.
// The CDK CLI passes the pinned lookups (cdk.context.json: images, zones) in CDK_CONTEXT_JSON;
// `dskit synth` runs this app without it, so the same pins are read here.
const app = new App({ builtinCloudFormationValidation: false, context: process.env.CDK_CONTEXT_JSON ? undefined : readPinnedLookups(process.cwd()) });
new AwsSandboxStack(app, `${config.name}-aws`, {
  config,
  configFile: file,
  env: { region: config.aws!.region, account: config.aws!.account ?? process.env.CDK_DEFAULT_ACCOUNT },
  description: `dskit Deep Security sandbox ${config.name} (AWS)`,
});
addAwsSolutionsChecks(app);
app.synth();
