#!/usr/bin/env node
import './lean-start';
import * as path from 'node:path';
import { App } from 'cdktf';
import { GcpSandboxStack } from '../stacks/gcp-sandbox-stack';
import { loadAppConfig } from './app-config';

const { config, file } = loadAppConfig('gcp');
const app = new App();
new GcpSandboxStack(app, `${config.name}-gcp`, { config, configFile: path.basename(file) });
app.synth();
