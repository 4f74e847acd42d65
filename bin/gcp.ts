#!/usr/bin/env node
import './lean-start';
import * as path from 'node:path';
import { App } from 'cdktf';
import { relocateLegacyState } from '../lib/gcp/state';
import { GcpSandboxStack } from '../stacks/gcp-sandbox-stack';
import { loadAppConfig } from './app-config';

const { config, file } = loadAppConfig('gcp');
const app = new App();
const stackName = `${config.name}-gcp`;
if (!config.gcp!.stateBucket) {
  const moved = relocateLegacyState(app.outdir, stackName);
  if (moved.kind === 'refused') {
    process.stderr.write(`dskit: ${moved.message}\n`);
    process.exit(1);
  }
  // stdout: the cdktf CLI labels every line an app writes to stderr [ERROR].
  if (moved.kind === 'moved') process.stdout.write(`${moved.message}\n`);
}
new GcpSandboxStack(app, stackName, { config, configFile: path.basename(file) });
app.synth();
