/**
 * jest setupFiles: every `new App()` in the tests synthesizes with cdk.json's feature flags, as
 * `cdk synth` / `cdk deploy` (which pass them in CDK_CONTEXT_JSON) and bin/aws.ts do, so the
 * tests assert the template that deploys. A test that sets CDK_CONTEXT_JSON itself keeps its own.
 */
import { cdkJsonContext } from '../../bin/cdk-context';

if (!process.env.CDK_CONTEXT_JSON) process.env.CDK_CONTEXT_JSON = JSON.stringify(cdkJsonContext());

// The AWS SDK's Node 22 announcement (README, Requirements; the CLI shows it as one line, see
// lib/cli/warnings.ts and test/cli/conventions.test.ts) is turned off for the SDK clients the tests
// create in-process, by the SDK's own switch (@aws-sdk/core emitWarningIfUnsupportedVersion).
// Spawned CLIs get the environment of their test, which decides.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
