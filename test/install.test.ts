// The package as users install it outside the clone: `npm pack`, then `npm install -g` of the
// tarball into a temporary prefix; the installed dmar runs (dist/ is in the tarball, nothing is built).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
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
  expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'bin/dmar.js', 'bin/package.json', 'dist/cli/dmar.cjs', 'dist/src/index.js', 'schema/dmar.schema.json']));
  expect(files.filter((f) => /^(src|test|tools|build|fixtures|scripts|node_modules)\//.test(f))).toEqual([]);
  // the test tooling (tools/: fuzzer, fixture builders) is not in the package, not even compiled
  expect(files.filter((f) => /^dist\/(src\/fuzz\/|src\/dmar\/fixture|tools\/)/.test(f))).toEqual([]);

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
