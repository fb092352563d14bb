#!/usr/bin/env node
// Bundle the CLI into one CommonJS file, dist/cli/dmar.cjs, and record V8's
// code cache for it (dist/cli/dmar.cjs.cache, and dmar.cjs.id: the bundle's
// hash and the Node and flags the cache is for) by running commands: with
// both, `dmar` starts about a third faster than from the ESM modules of
// dist/src (bin/dmar.js loads them; the figures are in the README).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/dist/cli`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/dmar.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: 'warning',
});
// One process runs decode, then validate (of a directory, every check) and the
// other formats, and records V8's code cache with everything they compiled. It
// runs without NODE_OPTIONS: the cache is for plain `node`; bin/dmar.js keeps
// a cache per user for other flags.
const runs = [
  ['decode', `${root}/fixtures/server-2s.bin`, '--json'],
  ['decode', `${root}/fixtures/server-2s.bin`, '--format', 'hex'],
  ['validate', `${root}/fixtures`],
  ['validate', `${root}/fixtures/invalid`, '--format', 'json'],
  ['flags', `${root}/fixtures/server-2s.bin`],
];
const { NODE_OPTIONS: _, ...env } = process.env;
const bundleHash = createHash('sha256').update(readFileSync(`${root}/dist/cli/dmar.cjs`)).digest('hex').slice(0, 16);
const warm = spawnSync(process.execPath, [`${root}/bin/dmar.js`, 'decode', `${root}/fixtures/server-2s.bin`], {
  env: { ...env, DMAR_WRITE_CODE_CACHE: '1', DMAR_CODE_CACHE_RUNS: JSON.stringify(runs), DMAR_BUNDLE_HASH: bundleHash, NO_COLOR: '1' },
  stdio: ['ignore', 'ignore', 'ignore'],
});
if (warm.status !== 0 || !existsSync(`${root}/dist/cli/dmar.cjs.id`)) {
  console.error(`bundle: the bundled CLI failed its warm-up run (exit ${warm.status})`);
  process.exit(1);
}
