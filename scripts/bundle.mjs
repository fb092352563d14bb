#!/usr/bin/env node
// Bundle the CLI into one CommonJS file, dist/cli/dmar.cjs, and record V8's
// code cache for it (dist/cli/dmar.cjs.cache, and dmar.cjs.id: the bundle's
// hash and the Node and flags the cache is for) by running commands: with
// both, `dmar` starts about a third faster than from the ESM modules of
// dist/src (bin/dmar.js loads them; the figures are in docs/performance.md).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  /** @param {import('esbuild').PluginBuild} b */
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
/**
 * The parsers the decoder uses, as binary-parser generates them (tsc has built
 * dist/src): every fixture is decoded, which compiles each parser once and
 * records its code; the bundle's src/dmar/parsers-precompiled.ts then holds
 * each as a function of the bundle, in V8's code cache with the rest. A parser
 * the fixtures miss is generated at run time, as in the library.
 */
const { decodeDmar } = await import(`${root}/dist/src/dmar/decode.js`);
const { parserSources } = await import(`${root}/dist/src/dmar/parsers.js`);
for (const f of readdirSync(`${root}/fixtures`).filter((n) => n.endsWith('.bin'))) decodeDmar(readFileSync(`${root}/fixtures/${f}`), { strict: false });
const precompiled = {
  name: 'precompiled-parsers',
  /** @param {import('esbuild').PluginBuild} b */
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]dmar[\\/]parsers-precompiled\.ts$/ }, () => {
      const entries = [...parserSources.values()].map(
        (p) =>
          `[${JSON.stringify(p.signature)}, { imports: ${JSON.stringify(p.imports)}, make: function (imports, TextDecoder) { return function (buffer, dataView, offset, end) { ${p.code} }; } }]`,
      );
      return { contents: `export const PRECOMPILED = new Map([\n${entries.join(',\n')}\n]);\n`, loader: 'js' };
    });
  },
};
if (parserSources.size < 8) throw new Error(`bundle: only ${parserSources.size} parsers were generated from the fixtures`);
rmSync(`${root}/dist/cli`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/dmar.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Minified names too: 100 KB less to read and a smaller code cache, 1.5-2 ms of every start. The source map
  // beside the bundle gives the names and places back: DMAR_DEBUG=1 loads the bundle with it (bin/dmar.js), so
  // that a stack trace names src/ files and lines.
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [lazyChildProcess, precompiled],
});
// bin/dmar.js reads the bundle as latin1: it must be ASCII (esbuild's default charset escapes the rest)
if (readFileSync(`${root}/dist/cli/dmar.cjs`).some((b) => b > 0x7f)) {
  console.error('bundle: dist/cli/dmar.cjs is not ASCII (bin/dmar.js reads it as latin1)');
  process.exit(1);
}
// Two caches, each recorded from the one command it serves, and from nothing
// else: V8 deserialises all of a cache at every start, and a function the
// recording did not run is compiled when first called. decode (text) for every
// command but validate; validate (one table, every check that runs without a
// MADT or a machine) for validate. Recording more (JSON, hex, flags, a
// directory, the invalid fixtures) made the caches 5 % larger and every start
// slower, the commands it added included (docs/performance.md).
// Without NODE_OPTIONS: the caches are for plain `node`; bin/dmar.js keeps a
// cache per user for other flags.
const server = `${root}/fixtures/server-2s.bin`;
const recordings = [
  { name: '1', argv: ['decode', server] },
  { name: 'validate', argv: ['validate', server] },
];
const { NODE_OPTIONS: _, ...env } = process.env;
const bundleHash = createHash('sha256')
  .update(readFileSync(`${root}/dist/cli/dmar.cjs`))
  .digest('hex')
  .slice(0, 16);
for (const { name, argv } of recordings) {
  const warm = spawnSync(process.execPath, [`${root}/bin/dmar.js`, ...argv], {
    env: { ...env, DMAR_WRITE_CODE_CACHE: name, DMAR_BUNDLE_HASH: bundleHash, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const cache = `${root}/dist/cli/dmar.cjs${name === 'validate' ? '.validate' : ''}.cache`;
  if (warm.status !== 0 || !existsSync(`${root}/dist/cli/dmar.cjs.id`) || !existsSync(cache)) {
    console.error(`bundle: the bundled CLI failed its warm-up run for ${cache} (exit ${warm.status})`);
    process.exit(1);
  }
}
