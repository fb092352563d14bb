#!/usr/bin/env node
// Bundle the CLI into CommonJS files and record V8's code cache for each (a
// .cache and a .id beside it: the bundle's hash and the Node and flags the
// cache is for) by running a command: with both, `dmar` starts about a third
// faster than from the ESM modules of dist/src (bin/dmar.js loads them; the
// figures are in docs/performance.md). dist/cli/dmar.cjs holds the whole CLI;
// decode and validate each have a bundle of their own, dmar-decode.cjs and
// dmar-validate.cjs, which leave out every other command's code (BUNDLES below).
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

/**
 * node:module, which src/io/std.ts imports for createRequire (the terminal check's way to node:tty before
 * Node 20.16's process.getBuiltinModule), is not loaded by the bundles: 0.5 ms of a start. In a bundle, a
 * CommonJS module, require itself loads Node's modules, so createRequire gives it back.
 */
const noNodeModule = {
  name: 'no-node-module',
  /** @param {import('esbuild').PluginBuild} b */
  setup(b) {
    b.onResolve({ filter: /^node:module$/ }, (args) => {
      if (!/[\\/]src[\\/]io[\\/]std\.ts$/.test(args.importer)) throw new Error(`bundle: node:module imported by ${args.importer}, not only src/io/std.ts`);
      return { path: 'node:module', namespace: 'dmar-cjs' };
    });
    b.onLoad({ filter: /^node:module$/, namespace: 'dmar-cjs' }, () => ({
      contents: "/** the bundle's own require: it loads only Node's modules */\nexport const createRequire = () => require;\n",
      loader: 'js',
    }));
  },
};
/**
 * The bundles, each with the commands whose modules it holds (undefined: all) and the run its code cache is
 * recorded from. A start reads the whole of its bundle and deserialises the whole of its cache, so decode and
 * validate, the commands a script runs table by table, each start from a bundle of their own: 175 and 275 KB
 * where the whole CLI is 435 KB, and caches 70 and 50 KB smaller (paired runs on the VM of docs/performance.md:
 * decode starts 3-4 ms sooner, validate 2 ms, of some 17 over `node -e 0`). bin/dmar.js picks the
 * bundle by the command. In a command's own bundle every other command's module is a stand-in (handover
 * below) that runs the whole CLI instead: a command line bin/dmar.js took for another command still runs
 * as it would from dmar.cjs. Each cache is recorded from one run of the one command it serves, and from
 * nothing else: V8 deserialises all of a cache at every start, and a function the recording did not run
 * is compiled when first called. dmar.cjs's from a decode run, for every command without a bundle of its
 * own (recording more, JSON, hex, flags, a directory, the invalid fixtures, made the caches 5 % larger and
 * every start slower, the commands it added included).
 */
const server = `${root}/fixtures/server-2s.bin`;
const BUNDLES = [
  { name: 'dmar', commands: undefined, record: ['decode', server] },
  { name: 'dmar-decode', commands: ['decode'], record: ['decode', server] },
  { name: 'dmar-validate', commands: ['validate'], record: ['validate', server] },
];
/** The command modules src/cli/main.ts imports when their command runs: `import('./decode.js')` and the like. */
const COMMAND_IMPORT = /^\.\/[a-z-]+\.js$/;
/**
 * A command's own bundle: main.ts's import of any other command's module gives a stand-in, whose run() hands
 * the command line to the whole CLI (bin/dmar.js loads dmar.cjs and runs its main() on the same arguments).
 * It runs where the command's own module would, once commander has parsed the arguments and before the command
 * has read or written anything, so the whole CLI starts over from the same state. The build fails if the
 * kept command's module is not among main.ts's imports (a renamed module would otherwise leave none kept).
 *
 * @param {string[]} commands
 * @param {Set<string>} seen
 */
const onlyCommands = (commands, seen) => ({
  name: 'only-commands',
  /** @param {import('esbuild').PluginBuild} b */
  setup(b) {
    b.onResolve({ filter: COMMAND_IMPORT }, (args) => {
      if (args.kind !== 'dynamic-import' || !/[\\/]src[\\/]cli[\\/]main\.ts$/.test(args.importer)) return undefined;
      const name = args.path.slice(2, -3);
      if (commands.includes(name)) {
        seen.add(name);
        return undefined;
      }
      return { path: 'handover', namespace: 'dmar-handover' };
    });
    b.onLoad({ filter: /^handover$/, namespace: 'dmar-handover' }, () => ({
      contents: `export function run() {
  const handover = globalThis[Symbol.for('dmar.handover')];
  if (typeof handover !== 'function') throw new Error('this bundle of dmar runs ${commands.join(', ')} only (bin/dmar.js runs the others)');
  return handover();
}
`,
      loader: 'js',
    }));
  },
});
rmSync(`${root}/dist/cli`, { recursive: true, force: true });
for (const bundle of BUNDLES) {
  const seen = new Set();
  const outfile = `dist/cli/${bundle.name}.cjs`;
  await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/main.ts'],
    outfile,
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
    plugins: [lazyChildProcess, precompiled, noNodeModule, ...(bundle.commands ? [onlyCommands(bundle.commands, seen)] : [])],
  });
  const missing = bundle.commands?.find((c) => !seen.has(c));
  if (missing) {
    console.error(`bundle: src/cli/main.ts no longer imports ./${missing}.js (${outfile} is to hold it)`);
    process.exit(1);
  }
  // bin/dmar.js gives a bundle its own require: a bundle may require Node's modules only, each by its name
  const code = readFileSync(`${root}/${outfile}`, 'latin1');
  const required = [...code.matchAll(/\brequire\((?!"node:[a-z_/]+"\))[^)]{0,40}/g)].map((m) => m[0]);
  if (required.length) {
    console.error(`bundle: ${outfile} requires other than a node: module by its name: ${required.join(', ')}`);
    process.exit(1);
  }
  // bin/dmar.js reads a bundle as latin1: it must be ASCII (esbuild's default charset escapes the rest)
  if (readFileSync(`${root}/${outfile}`).some((b) => b > 0x7f)) {
    console.error(`bundle: ${outfile} is not ASCII (bin/dmar.js reads it as latin1)`);
    process.exit(1);
  }
}
// Without NODE_OPTIONS: the caches are for plain `node`; bin/dmar.js keeps a cache per user for other flags.
const { NODE_OPTIONS: _, ...env } = process.env;
for (const { name, record } of BUNDLES) {
  const file = `${root}/dist/cli/${name}.cjs`;
  const bundleHash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
  const warm = spawnSync(process.execPath, [`${root}/bin/dmar.js`, ...record], {
    env: { ...env, DMAR_WRITE_CODE_CACHE: name, DMAR_BUNDLE_HASH: bundleHash, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  if (warm.status !== 0 || !existsSync(`${file}.id`) || !existsSync(`${file}.cache`)) {
    console.error(`bundle: the bundled CLI failed its warm-up run for ${file}.cache (exit ${warm.status})`);
    process.exit(1);
  }
}
