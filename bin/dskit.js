#!/usr/bin/env node
// The package's `dskit` bin: TypeScript runs through tsx's require hook (no build step; see register.js).
require('./register');
require('./dskit.ts');
