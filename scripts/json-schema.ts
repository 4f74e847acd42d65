/**
 * sandbox.schema.json: the JSON Schema of sandbox.yaml, generated from the zod schema
 * (lib/config/schema.ts) with zod-to-json-schema, so editors with a YAML language server complete
 * and check the file (sandbox.example.yaml names it in its first line). `npm run json-schema`
 * regenerates it; test/config/json-schema.test.ts fails when it is stale.
 *
 * What JSON Schema cannot say stays in the zod schema only: cross-key rules (a zone of the region,
 * unique VM names, honeypot acknowledgement), CIDR prefix limits and host bits, typo checks of
 * instance types. `dskit synth` / `preflight` report those.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isSeq, parseDocument, type Node } from 'yaml';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { EXAMPLE_CONFIG } from '../lib/config/load';
import { sandboxSchema } from '../lib/config/schema';

export const SCHEMA_FILE = path.resolve(__dirname, '..', 'sandbox.schema.json');

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; description?: string };

/** The example's inline comments (`key: value  # comment`), by key path (`aws.vms.[].os`). */
function exampleComments(): [string[], string][] {
  const out: [string[], string][] = [];
  const walk = (node: unknown, at: string[]) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = [...at, String((pair.key as { value: unknown }).value)];
        const comment = (pair.value as Node | null)?.comment?.trim();
        if (comment) out.push([key, comment]);
        walk(pair.value, key);
      }
    } else if (isSeq(node)) node.items.forEach((item) => walk(item, [...at, '[]']));
  };
  walk(parseDocument(fs.readFileSync(EXAMPLE_CONFIG, 'utf8')).contents, []);
  return out;
}

/** Hover text for editors: the example's comment on the key, on every branch that has it. */
function describe(schema: JsonSchema, at: string[], text: string): void {
  if (schema.anyOf) return schema.anyOf.forEach((branch) => describe(branch, at, text));
  if (at.length === 0) {
    schema.description = text;
    return;
  }
  const [head, ...rest] = at;
  const next = head === '[]' ? schema.items : schema.properties?.[head];
  if (next) describe(next, rest, text);
}

export function sandboxJsonSchema(): Record<string, unknown> {
  // Cast: the full schema type is too deep for zod-to-json-schema's parameter type to check.
  const generated = zodToJsonSchema(sandboxSchema as unknown as Parameters<typeof zodToJsonSchema>[0], {
    target: 'jsonSchema7',
    $refStrategy: 'none', // one self-contained tree: what editors show on hover
    effectStrategy: 'input', // refinements check the same input type
    removeAdditionalStrategy: 'strict',
  }) as Record<string, unknown>;
  for (const [at, text] of exampleComments()) describe(generated as JsonSchema, at, text);
  return {
    $schema: generated.$schema,
    title: 'dskit sandbox.yaml',
    description: 'One file drives both clouds (SPEC §3). Generated from lib/config/schema.ts by `npm run json-schema`; do not edit.',
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== '$schema')),
  };
}

export const schemaText = (): string => `${JSON.stringify(sandboxJsonSchema(), null, 2)}\n`;

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, schemaText());
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
}
