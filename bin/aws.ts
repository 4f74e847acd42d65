#!/usr/bin/env node
import './lean-start';
import { App } from 'aws-cdk-lib';
import { addAwsSolutionsChecks } from '../lib/aws/nag';
import { AwsSandboxStack } from '../stacks/aws-sandbox-stack';
import { loadAppConfig } from './app-config';
import { pendingLookupNotices } from './aws-lookups';
import { localCdkContext } from './cdk-context';

const { config, file } = loadAppConfig('aws');
// CloudFormation schema validation runs in the tests (test/aws/cfn-validate.test.ts); here it
// would triple the synth time of every `cdk deploy`. cdk-nag below still runs on every synth.
// The CDK CLI passes the pinned lookups (cdk.context.json: images, zones) and cdk.json's flags in
// CDK_CONTEXT_JSON; `dskit synth` runs this app without it, so the same files are read here.
const app = new App({ builtinCloudFormationValidation: false, context: localCdkContext() });
new AwsSandboxStack(app, `${config.name}-aws`, {
  config,
  configFile: file,
  env: { region: config.aws!.region, account: config.aws!.account ?? process.env.CDK_DEFAULT_ACCOUNT },
  description: `dskit Deep Security sandbox ${config.name} (AWS)`,
});
addAwsSolutionsChecks(app);
// Lookups only the CDK CLI can do (with credentials) are said, one line each; the deploy refuses their placeholders.
for (const line of pendingLookupNotices(app.synth(), config, file)) process.stderr.write(`${line}\n`);
