#!/usr/bin/env node
// The package's `dskit` bin: TypeScript runs through tsx's require hook (no build step).
require('tsx/cjs');
require('./dskit.ts');
