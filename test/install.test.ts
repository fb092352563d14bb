// The package as users install it outside the clone: `npm pack`, then `npm install -g` of the
// tarball into a temporary prefix; the installed dmar runs (dist/ is in the tarball, nothing is built).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { docText } from './docs/pages.js';
import { dmar, FIXTURES, ROOT } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// `npm test` hands its settings down as npm_config_*: where this npm installs is given here, not inherited
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|location|(local_|global_)?prefix|globalconfig)$/i.test(k)));
const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 170_000 });

test('npm pack gives a tarball with dist/ and LICENSE; installed from it with -g, dmar runs', () => {
  // dist/ is built by the test setup (npm pack would build it too, through prepare)
  const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  expect(pack.status, pack.stderr).toBe(0);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  expect(files).toEqual(
    expect.arrayContaining([
      'LICENSE',
      'README.md',
      'package.json',
      'bin/dmar.js',
      'bin/package.json',
      'dist/cli/dmar.cjs',
      'dist/cli/dmar.cjs.cache',
      'dist/cli/dmar.cjs.id',
      'dist/cli/dmar-decode.cjs.id',
      'dist/cli/dmar-validate.cjs.id',
      'dist/cli/dmar-decode.cjs',
      'dist/cli/dmar-decode.cjs.cache',
      'dist/cli/dmar-validate.cjs',
      'dist/cli/dmar-validate.cjs.cache',
      'dist/src/index.js',
      'schema/dmar.schema.json',
    ]),
  );
  expect(files.filter((f) => /^(src|test|tools|build|fixtures|scripts|node_modules)\//.test(f))).toEqual([]);
  // the test tooling (tools/: fuzzer, fixture builders) is not in the package, not even compiled
  expect(files.filter((f) => /^dist\/(src\/fuzz\/|src\/dmar\/fixture|src\/machine\/spec|tools\/)/.test(f))).toEqual([]);
  // nor the CLI's modules as tsc compiles them: the command runs from its bundle (dist/cli), the library needs none of them
  expect(files.filter((f) => f.startsWith('dist/src/cli/'))).toEqual([]);

  const prefix = join(work, 'prefix');
  const inst = npm(['install', '-g', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(work, info!.filename)], work);
  expect(inst.status, inst.stderr).toBe(0);
  const bin = join(prefix, 'bin', 'dmar');
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  expect(version.stdout).toBe('0.1.0\n');
  const fixture = join(FIXTURES, 'server-2s.bin');
  const decoded = spawnSync(bin, ['decode', fixture, '--json'], { encoding: 'utf8', cwd: work });
  expect(decoded.status, decoded.stderr).toBe(0);
  expect(decoded.stdout).toBe(dmar(['decode', fixture, '--json']).stdout);
  const linted = spawnSync(bin, ['validate', fixture], { encoding: 'utf8', cwd: work });
  expect(linted.status, linted.stderr).toBe(0);
}, 180_000);

test("the README's CI snippet works: its script, run as written beside the packed tarball, gates on warnings", () => {
  const yaml = /## In CI\n\n```yaml\n([\s\S]*?)```/.exec(docText('README.md'))![1]!;
  const script = [...yaml.slice(yaml.indexOf('  script:\n')).matchAll(/^ {4}- (.+)$/gm)].map((m) => m[1]!);
  expect(script[0]).toMatch(/^npm install -g \.\/tools\/dmar-0\.1\.0\.tgz$/);
  expect(script.slice(1)).toEqual(['dmar validate build/acpi/ --format junit -o dmar.xml --fail-on warning']);
  expect(yaml).toMatch(/reports: \{ junit: dmar\.xml \}/);

  // the firmware repository: the tarball kept in tools/, the tables its build made in build/acpi/
  const repo = join(work, 'firmware');
  mkdirSync(join(repo, 'tools'), { recursive: true });
  mkdirSync(join(repo, 'build', 'acpi'), { recursive: true });
  const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', join(repo, 'tools')], ROOT);
  expect(pack.status, pack.stderr).toBe(0);
  const [info] = JSON.parse(pack.stdout) as { filename: string }[];
  renameSync(join(repo, 'tools', info!.filename), join(repo, 'tools', 'dmar-0.1.0.tgz'));
  copyFileSync(join(FIXTURES, 'server-2s.bin'), join(repo, 'build', 'acpi', 'DMAR.bin'));

  // the CI job's shell: -g goes to a prefix of its own (a CI image's global prefix), on PATH; cached packages are used
  const prefix = join(work, 'ci-prefix');
  const ciEnv = { ...env, npm_config_prefix: prefix, npm_config_prefer_offline: 'true', PATH: `${join(prefix, 'bin')}:${env.PATH}` };
  const run = () => spawnSync('bash', ['-ec', script.join('\n')], { cwd: repo, env: ciEnv, encoding: 'utf8', timeout: 170_000 });
  const clean = run();
  expect(clean.status, clean.stderr).toBe(0);
  const xml = readFileSync(join(repo, 'dmar.xml'), 'utf8');
  expect(xml).toMatch(/<testsuites name="dmar validate" tests="\d+" failures="0" errors="0">/);
  expect(xml).toContain('<testsuite name="build/acpi/DMAR.bin"');

  // a table with a warning fails the job (--fail-on warning), and the report says which check
  copyFileSync(join(FIXTURES, 'multi-segment.bin'), join(repo, 'build', 'acpi', 'multi-segment.bin'));
  const failing = run();
  expect(failing.status).toBe(1);
  expect(readFileSync(join(repo, 'dmar.xml'), 'utf8')).toMatch(
    /<testcase classname="build\/acpi\/multi-segment\.bin" name="DMAR-DRHD-INCLUDE-ALL-FWTS">\s*<failure/,
  );
}, 180_000);
