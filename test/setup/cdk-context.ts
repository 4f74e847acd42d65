/**
 * jest setupFiles: every `new App()` in the tests synthesizes with cdk.json's feature flags, as
 * `cdk synth` / `cdk deploy` (which pass them in CDK_CONTEXT_JSON) and bin/aws.ts do, so the
 * tests assert the template that deploys. A test that sets CDK_CONTEXT_JSON itself keeps its own.
 */
import { cdkJsonContext } from '../../bin/cdk-context';

if (!process.env.CDK_CONTEXT_JSON) process.env.CDK_CONTEXT_JSON = JSON.stringify(cdkJsonContext());
