#!/usr/bin/env node
import { App } from 'cdktf';
import { GcpSandboxStack } from '../stacks/gcp-sandbox-stack';
import { loadAppConfig } from './app-config';

const config = loadAppConfig('gcp');
const app = new App();
new GcpSandboxStack(app, `${config.name}-gcp`, { config });
app.synth();
