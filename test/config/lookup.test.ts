import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, EXAMPLE_CONFIG, loadConfig } from '../../lib/config';

const EXAMPLE = fs.readFileSync(EXAMPLE_CONFIG, 'utf8');

describe('config lookup order', () => {
  let dir: string;
  const write = (name: string, sandbox: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, EXAMPLE.replace(/^name: ds-eval/m, `name: ${sandbox}`));
    return file;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dskit-lookup-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('--config wins over DSKIT_CONFIG and ./sandbox.yaml', () => {
    write('sandbox.yaml', 'from-cwd');
    const env = write('env.yaml', 'from-env');
    const flag = write('flag.yaml', 'from-flag');
    const r = loadConfig({ configPath: flag, env: { DSKIT_CONFIG: env }, cwd: dir });
    expect([r.config.name, r.via, r.notice]).toEqual(['from-flag', 'flag', undefined]);
  });

  test('DSKIT_CONFIG wins over ./sandbox.yaml, relative to the working directory', () => {
    write('sandbox.yaml', 'from-cwd');
    write('env.yaml', 'from-env');
    const r = loadConfig({ env: { DSKIT_CONFIG: 'env.yaml' }, cwd: dir });
    expect([r.config.name, r.via]).toEqual(['from-env', 'env']);
  });

  test('./sandbox.yaml is used when present', () => {
    write('sandbox.yaml', 'from-cwd');
    const r = loadConfig({ env: {}, cwd: dir });
    expect([r.config.name, r.via, r.notice]).toEqual(['from-cwd', 'cwd', undefined]);
  });

  test('otherwise the bundled example, with a one-line notice', () => {
    const r = loadConfig({ env: {}, cwd: dir });
    expect(r.file).toBe(EXAMPLE_CONFIG);
    expect(r.via).toBe('example');
    expect(r.notice).toMatch(/^dskit: no sandbox\.yaml here and no DSKIT_CONFIG; using the bundled example \S+$/);
  });

  test('a missing --config file is a config error naming it', () => {
    expect(() => loadConfig({ configPath: 'nope.yaml', env: {}, cwd: dir })).toThrow(ConfigError);
    expect(() => loadConfig({ configPath: 'nope.yaml', env: {}, cwd: dir })).toThrow(/nope\.yaml: cannot read the config file \(from --config\): ENOENT/);
  });
});
