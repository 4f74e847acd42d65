#!/usr/bin/env node
import './lean-start';
import * as path from 'node:path';
import { App } from 'cdktf';
import { locateConfig } from '../lib/config';
import { GcpSandboxStack } from '../stacks/gcp-sandbox-stack';
import { loadAppConfig } from './app-config';

const config = loadAppConfig('gcp');
const app = new App();
new GcpSandboxStack(app, `${config.name}-gcp`, { config, configFile: path.basename(locateConfig().file) });
app.synth();
