/**
 * Finding, reading and validating `sandbox.yaml` (SPEC §3).
 *
 * Lookup: `--config FILE`, else `$DSKIT_CONFIG`, else `./sandbox.yaml`, else the bundled
 * `sandbox.example.yaml` (with a one-line notice). The CDK and CDKTF apps use the same lookup.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors';
import { crossFieldIssues } from './cross-field';
import { DEFAULT_ENUM_MESSAGE } from './cloud-fields';
import { resolveInstallerPaths } from './installers';
import { didYouMean } from './suggest';
import { sandboxSchema, type AwsVmConfig, type SandboxConfig } from './schema';
import { configWarnings, type ConfigWarning } from './warnings';

/** The repository root, where the bundled example lives (this file is lib/config/load.ts). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLE_CONFIG = path.join(PACKAGE_ROOT, 'sandbox.example.yaml');

export { ConfigError } from './errors';

export interface ConfigSource {
  /** Absolute path of the file read. */
  readonly file: string;
  /** How it was found. */
  readonly via: 'flag' | 'env' | 'cwd' | 'example';
}

export interface LoadOptions {
  /** `--config FILE`. */
  readonly configPath?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface LoadedConfig extends ConfigSource {
  readonly config: SandboxConfig;
  /** Set when the bundled example was used: a one-line notice for stderr. */
  readonly notice?: string;
  /** Valid values that are most likely mistakes (configWarnings), one line each, for stderr. */
  readonly warnings: readonly string[];
}

export function locateConfig(opts: LoadOptions = {}): ConfigSource {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  if (opts.configPath) return { file: path.resolve(cwd, opts.configPath), via: 'flag' };
  if (env.DSKIT_CONFIG) return { file: path.resolve(cwd, env.DSKIT_CONFIG), via: 'env' };
  const local = path.join(cwd, 'sandbox.yaml');
  if (fs.existsSync(local)) return { file: local, via: 'cwd' };
  return { file: EXAMPLE_CONFIG, via: 'example' };
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const source = locateConfig(opts);
  let text: string;
  try {
    text = fs.readFileSync(source.file, 'utf8');
  } catch (err) {
    const how = source.via === 'flag' ? '--config' : source.via === 'env' ? 'DSKIT_CONFIG' : 'lookup';
    throw new ConfigError(source.file, [
      `${source.file}: cannot read the config file (from ${how}): ${(err as NodeJS.ErrnoException).code ?? String(err)}; ` +
        'copy sandbox.example.yaml to sandbox.yaml and edit it',
    ]);
  }
  const config = parseConfig(text, source.file);
  const notice =
    source.via === 'example'
      ? `dskit: no sandbox.yaml here and no DSKIT_CONFIG; using the bundled example ${path.relative(opts.cwd ?? process.cwd(), source.file) || source.file}`
      : undefined;
  return { ...source, config, notice, warnings: formatWarnings(source.file, configWarnings(config)) };
}

/** `sandbox.yaml: aws.vms: warning: no VM to deploy ...` */
export function formatWarnings(file: string, warnings: readonly ConfigWarning[]): string[] {
  return warnings.map((w) => `${file}: ${formatPath(w.path)}: warning: ${w.message}`);
}

/** Parse and validate YAML text; `file` is only used in messages. */
export function parseConfig(text: string, file: string): SandboxConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax error: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = sandboxSchema.safeParse(raw);
  if (!result.success) {
    // The schema's own cross-field refinement is skipped once any field fails; run it on the raw
    // input so the user sees every problem in one go.
    const problems = formatIssues(file, raw, result.error.issues);
    for (const issue of crossFieldIssues(raw)) {
      for (const line of formatIssues(file, raw, [{ code: z.ZodIssueCode.custom, ...issue }])) {
        if (!problems.includes(line)) problems.push(line);
      }
    }
    throw new ConfigError(file, problems);
  }
  return applyDerivedDefaults(result.data as SandboxConfig, file);
}

function applyDerivedDefaults(parsed: SandboxConfig, file: string): SandboxConfig {
  const cfg = { ...parsed, manager: resolveInstallerPaths(parsed.manager, file) };
  if (!cfg.aws) return cfg;
  const vms: AwsVmConfig[] = cfg.aws.vms.map((vm) => ({
    ...vm,
    instanceType: vm.instanceType ?? (vm.arch === 'arm64' ? 't4g.medium' : 't3.medium'),
  }));
  return { ...cfg, aws: { ...cfg.aws, vms } };
}

/** `aws.vms[1].os` */
export function formatPath(p: readonly (string | number)[]): string {
  let out = '';
  for (const part of p) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(top level)';
}

function valueAt(root: unknown, p: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const part of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[part];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** One line per problem: file, key path, value given, what is allowed. */
export function formatIssues(file: string, raw: unknown, issues: readonly z.ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      const parentShape = allowedKeysAt(raw, issue.path);
      for (const key of issue.keys) {
        const keyPath = formatPath([...issue.path, key]);
        lines.push(
          `${file}: ${keyPath}: unknown key (value ${show(valueAt(raw, [...issue.path, key]))})` +
            (parentShape ? `; allowed keys here: ${parentShape.join(', ')}${didYouMean(key, parentShape)}` : ''),
        );
      }
      continue;
    }
    if (issue.code === z.ZodIssueCode.invalid_union && issue.unionErrors.length > 0) {
      lines.push(...formatIssues(file, raw, issue.unionErrors[0].issues));
      continue;
    }
    const keyPath = formatPath(issue.path);
    const given = valueAt(raw, issue.path);
    let allowed: string;
    switch (issue.code) {
      case z.ZodIssueCode.invalid_enum_value:
        // Long lists (regions, zones) carry their own message: why, and the value most likely meant.
        allowed = issue.message.startsWith(DEFAULT_ENUM_MESSAGE) ? `allowed: ${issue.options.join(' | ')}` : issue.message;
        break;
      case z.ZodIssueCode.invalid_union_discriminator:
        allowed = `allowed: ${issue.options.map(String).join(' | ')}`;
        break;
      case z.ZodIssueCode.invalid_literal:
        allowed = `allowed: ${String(issue.expected)}`;
        break;
      case z.ZodIssueCode.invalid_type:
        allowed = given === undefined ? `required (${issue.expected})` : `expected ${issue.expected}`;
        break;
      case z.ZodIssueCode.too_small:
        allowed = issue.type === 'number' ? `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}` : issue.message;
        break;
      case z.ZodIssueCode.too_big:
        allowed = issue.type === 'number' ? `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}` : issue.message;
        break;
      default:
        allowed = issue.message;
    }
    if (issue.code === z.ZodIssueCode.invalid_type && given === undefined) {
      lines.push(`${file}: ${keyPath}: missing; ${allowed}`);
    } else {
      lines.push(`${file}: ${keyPath}: got ${show(given)}; ${allowed}`);
    }
  }
  return lines;
}

/** The keys the schema allows at a path, so an unknown key's message can list the right ones. */
function allowedKeysAt(raw: unknown, p: readonly (string | number)[]): string[] | undefined {
  const unwrap = (s: z.ZodTypeAny, at: readonly (string | number)[]): z.ZodTypeAny => {
    for (;;) {
      if (s instanceof z.ZodEffects) s = s.innerType();
      else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
      else if (s instanceof z.ZodDefault) s = s.removeDefault();
      else if (s instanceof z.ZodDiscriminatedUnion) {
        const value = valueAt(raw, at) as Record<string, unknown> | undefined;
        const option = s.optionsMap.get(value?.[s.discriminator] as string);
        if (!option) return s;
        s = option;
      } else return s;
    }
  };
  let schema: z.ZodTypeAny | undefined = sandboxSchema;
  for (let i = 0; i <= p.length && schema; i++) {
    schema = unwrap(schema, p.slice(0, i));
    if (i === p.length) break;
    const part = p[i];
    if (typeof part === 'number' && schema instanceof z.ZodArray) schema = schema.element;
    else if (typeof part === 'string' && schema instanceof z.ZodObject) schema = schema.shape[part];
    else return undefined;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}
