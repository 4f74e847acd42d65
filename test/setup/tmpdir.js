/**
 * jest globalSetup/globalTeardown: every temporary file of a test run goes under one directory,
 * removed when the run ends. aws-cdk-lib's `new App()` without an outdir makes a fresh
 * `cdk.outXXXXXX` in os.tmpdir() on each synth and never removes it (hundreds per run); the
 * workers and the child processes they spawn inherit TMPDIR, so os.tmpdir() is this directory.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const VARIABLE = 'DSKIT_TEST_TMPDIR';

async function setup() {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'dskit-jest-'));
  process.env[VARIABLE] = dir;
  process.env.TMPDIR = dir;
}

async function teardown() {
  const dir = process.env[VARIABLE];
  if (dir && path.basename(dir).startsWith('dskit-jest-')) fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = { setup, teardown, VARIABLE };
