/**
 * sandbox.schema.json is generated from the zod schema, current, referenced by the example, and
 * a real JSON Schema validator (ajv) agrees with the zod schema on what it can express.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG, ConfigError, parseConfig } from '../../lib/config';
import { SCHEMA_FILE, schemaText } from '../../scripts/json-schema';
import { exampleRaw } from '../helpers/config';

const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const zodAccepts = (raw: unknown): boolean => {
  try {
    parseConfig(stringify(raw), 'x.yaml');
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
};

describe('sandbox.schema.json', () => {
  test('is what the zod schema generates (else: npm run json-schema)', () => {
    if (fs.readFileSync(SCHEMA_FILE, 'utf8') !== schemaText()) throw new Error('sandbox.schema.json is stale: run `npm run json-schema` and commit it');
  });

  test('the example names it in its first line, for editors with a YAML language server', () => {
    const first = fs.readFileSync(EXAMPLE_CONFIG, 'utf8').split('\n')[0];
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(m).not.toBeNull();
    expect(path.resolve(path.dirname(EXAMPLE_CONFIG), m![1])).toBe(SCHEMA_FILE);
  });

  test('the example is valid', () => {
    const ok = validate(parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('editors get the allowed values and the example comments', () => {
    expect(schema.properties.aws.properties.region.enum).toContain('ap-northeast-1');
    expect(schema.properties.aws.properties.region.enum).not.toContain('mx-central-1');
    expect(schema.properties.gcp.properties.zone.enum).toContain('asia-northeast1-a');
    expect(schema.properties.exposure.properties.mode).toMatchObject({ enum: ['private', 'honeypot'], default: 'private', description: 'private | honeypot' });
  });

  test.each<[string, (r: Record<string, any>) => void]>([
    ['an unknown key', (r) => (r.aws.vms[0].instancetype = 't3.small')],
    ['an unknown top-level key', (r) => (r.polcy = { id: 1 })],
    ['an AWS region typo', (r) => (r.aws.region = 'ap-northest-1')],
    ['a zone that does not exist', (r) => (r.gcp.zone = 'asia-northeast1-z')],
    ['an OS not offered', (r) => (r.aws.vms[1].os = 'windows-2019')],
    ['a missing required key', (r) => delete r.manager.activationTokenSecret],
    ['a dsm manager without activationUrl', (r) => (r.manager = { type: 'dsm', url: 'https://dsm.example.com:4119', activationTokenSecret: 'x' })],
    ['a port out of range', (r) => (r.events.syslogPort = 70000)],
    ['a count below 0', (r) => (r.gcp.vms[0].count = -1)],
    ['a malformed CIDR', (r) => (r.aws.vpcCidr = '10.60.0.0/33')],
  ])('refuses %s, as the zod schema does', (_what, edit) => {
    const raw = exampleRaw();
    edit(raw);
    expect(validate(raw)).toBe(false);
    expect(zodAccepts(raw)).toBe(false);
  });

  test.each<[string, (r: Record<string, any>) => void]>([
    ['a minimal AWS-only config', (r) => delete r.gcp],
    ['a dsm manager', (r) => (r.manager = { type: 'dsm', url: 'https://dsm.lab.test:4119', activationUrl: 'dsm://dsm.lab.test:4120/', activationTokenSecret: 'x' })],
    ['a policy by name', (r) => (r.policy = { name: 'Linux Server' })],
    ['defaults left out', (r) => { delete r.events; delete r.exposure; delete r.aws.vms[0].arch; }],
  ])('accepts %s, as the zod schema does', (_what, edit) => {
    const raw = exampleRaw();
    edit(raw);
    expect(zodAccepts(raw)).toBe(true);
    expect(validate(raw)).toBe(true);
  });
});
