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
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * commander requires node:child_process at load, for the executable
 * subcommands (`git-style` separate programs) that dmar never declares; that
 * one require pulls in net, dgram, streams and more on every start. In the
 * bundle it becomes a getter that loads the module if commander ever spawns.
 * The build fails if commander's line changes, rather than bundle it eagerly.
 */
const CHILD_PROCESS_LINE = "const childProcess = require('node:child_process');";
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      if (!src.includes(CHILD_PROCESS_LINE)) throw new Error(`bundle: ${args.path} no longer has "${CHILD_PROCESS_LINE}"`);
      const lazy = "const childProcess = { get spawn() { return require('node:child_process').spawn; } };";
      if (/childProcess\.(?!spawn\()/.test(src)) throw new Error(`bundle: ${args.path} uses child_process beyond spawn()`);
      return { contents: src.replace(CHILD_PROCESS_LINE, lazy), loader: 'js' };
    });
  },
};
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
  plugins: [lazyChildProcess],
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
