/**
 * Decisions without a comment of their own (docs/maintenance.md): install scripts, feature flags.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/cli';

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'));
const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'maintenance.md'), 'utf8');

describe('npm install scripts', () => {
  const allowScripts: Record<string, boolean> = readJson('package.json').allowScripts;

  test('every package with an install script is decided in allowScripts (npm ci lists none), with a reason in the doc', () => {
    const lock = readJson('package-lock.json');
    const withScripts = Object.entries<any>(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([at]) => at.replace(/^.*node_modules\//, ''));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) {
      expect([name, typeof allowScripts[name]]).toEqual([name, 'boolean']);
      expect(doc).toContain(`| \`${name}\``);
    }
  });

  test('each denied package works without its script, the way dskit uses it', async () => {
    const denied = Object.keys(allowScripts).filter((k) => allowScripts[k] === false).sort();
    expect(denied).toEqual(['@cdktf/node-pty-prebuilt-multiarch', '@swc/core', 'esbuild', 'protobufjs']);
    // @swc/core: the native binding jest's transform uses
    const swc = require('@swc/core') as typeof import('@swc/core');
    expect(swc.transformSync('const n: number = 1;', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }).code).toMatch(/const n = 1;/);
    // esbuild: the API tsx runs the apps with
    const esbuild = require('esbuild') as { transformSync(code: string, o: object): { code: string } };
    expect(esbuild.transformSync('let n: number = 1', { loader: 'ts' }).code).toMatch(/let n = 1;/);
    // protobufjs: parses a schema, as ZetaSQL's gRPC client does
    const protobuf = require('protobufjs') as { parse(s: string): { root: { lookupType(n: string): unknown } } };
    expect(protobuf.parse('syntax = "proto3"; message Row { int32 n = 1; }').root.lookupType('Row')).toBeTruthy();
    // node-pty: the prebuilt binary cdktf-cli spawns terraform with
    const pty = require('@cdktf/node-pty-prebuilt-multiarch') as {
      spawn(f: string, a: string[], o: object): { onData(cb: (d: string) => void): void; onExit(cb: (e: { exitCode: number }) => void): void };
    };
    const out = await new Promise<{ data: string; code: number }>((resolve) => {
      let data = '';
      const p = pty.spawn('/bin/echo', ['pty works'], {});
      p.onData((d) => (data += d));
      p.onExit((e) => resolve({ data, code: e.exitCode }));
    });
    expect(out.code).toBe(0);
    expect(out.data).toMatch(/pty works/);
  });
});

describe('CDK feature flags', () => {
  const context: Record<string, unknown> = readJson('cdk.json').context;
  const recommended: Record<string, unknown> = require('aws-cdk-lib/recommended-feature-flags.json');

  test('every flag aws-cdk-lib recommends is decided in cdk.json', () => {
    expect(Object.keys(recommended).filter((k) => !(k in context))).toEqual([]);
  });

  test('each flag set against the recommendation has its reason in docs/maintenance.md', () => {
    const against = Object.keys(recommended).filter((k) => JSON.stringify(recommended[k]) !== JSON.stringify(context[k]));
    expect(against.length).toBeGreaterThan(0);
    for (const flag of against) expect(doc).toMatch(new RegExp(`\`${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`: \\*\\*`));
  });
});
