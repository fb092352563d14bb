#!/usr/bin/env node
'use strict';
// CommonJS on purpose (bin/package.json): it loads the bundled CLI with a V8
// code cache, skipping both the ES module loader and most of the compiling.
//
// Three bundles (scripts/bundle.mjs): dist/cli/dmar-decode.cjs and
// dmar-validate.cjs for those two commands, each holding only the code its
// command can reach (a start reads all of its bundle and cache), and
// dist/cli/dmar.cjs, the whole CLI, for every other command. Two kinds of
// cache: the ones `npm run build` recorded, one per bundle (NAME.cjs.cache,
// for the Node and flags named in NAME.cjs.id), each from a run of the command
// it serves (decode for dmar.cjs); and the ones kept per user for any other
// Node or flags (NODE_OPTIONS=--max-old-space-size=... changes V8's flags, and
// V8 then rejects the bundled cache): under $XDG_CACHE_HOME/dmar or
// ~/.cache/dmar, keyed by the bundle's hash, the Node version and the flags.
// V8 checks every cache it is given (version, flags, source) and compiles
// normally when it rejects one; a rejected or missing cache is written after
// the run, atomically, and never fails the command.
const {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');
// Node's module wrapper (require('node:module').wrap, which test/cli/code-cache.test.ts compares): node:module
// itself is not loaded, 0.5 ms of a start
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];

const DIST = join(__dirname, '..', 'dist', 'cli');
/** FNV-1a: a short, stable file name for a key (V8 itself validates what it is given). */
const fnv = (s) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
};

// Node's options as far as they can change V8's: a module preloaded with -r (--require) does not
const nodeArgs = process.execArgv.filter((a, i, all) => !/^(-r|--require)(=|$)/.test(a) && !/^(-r|--require)$/.test(all[i - 1] ?? ''));
const key = [process.version, process.arch, nodeArgs.join(' '), process.env.NODE_OPTIONS || ''].join('|');
// the command: the first argument that is neither an option nor the value of a global option (a wrong guess
// costs only time: a command's own bundle hands any other command to the whole CLI); the global options that
// take a value, as src/cli/main.ts declares them (test/cli/code-cache.test.ts compares)
const GLOBAL_VALUE_OPTIONS = ['--max-input'];
const argv = process.argv.slice(2);
const commandAt = argv.findIndex((a, i) => !a.startsWith('-') && !GLOBAL_VALUE_OPTIONS.includes(argv[i - 1]));
const command = commandAt < 0 ? undefined : argv[commandAt];
// The bundle (scripts/bundle.mjs): decode and validate each start from one of their own, which holds only the
// code they can reach; every other command, help and --version from the whole CLI, dmar.cjs. npm run build
// names the one it records a cache for (DMAR_WRITE_CODE_CACHE), and tests may name one (DMAR_BUNDLE).
const BUNDLES = ['dmar', 'dmar-decode', 'dmar-validate'];
const named = (v) => (BUNDLES.includes(v) ? v : undefined);
// (only with the bundle's hash beside it, as the build gives it: a variable left in someone's environment does not
// overwrite the installed caches)
const building = /^[0-9a-f]{16}$/.test(process.env.DMAR_BUNDLE_HASH || '') ? named(process.env.DMAR_WRITE_CODE_CACHE) : undefined;
const bundleName = building || named(process.env.DMAR_BUNDLE) || (command === 'decode' || command === 'validate' ? `dmar-${command}` : 'dmar');
const cacheHome = process.env.XDG_CACHE_HOME || join(process.env.HOME || require('node:os').homedir(), '.cache');
// DMAR_DEBUG=1 (errors with their stack trace): no code cache; Node loads the bundle itself, with the source map
// beside it, so that a stack trace names the src/ files and lines, not the minified bundle's
const debug = Boolean(process.env.DMAR_DEBUG) && !building;

/** A bundle's file, the id of its recorded cache (its hash and the key it was recorded for), and its cache kept per user. */
function bundleFiles(name) {
  const file = join(DIST, `${name}.cjs`);
  let id = {};
  try {
    id = JSON.parse(readFileSync(`${file}.id`, 'utf8'));
  } catch {
    // an older build without the id (or none readable): only the bundled cache
  }
  return { file, id, userCache: id.hash ? join(cacheHome, 'dmar', `${id.hash}-${fnv(key)}.cache`) : undefined };
}

/** A bundle that cannot be read, or (damaged) run: one line and exit 2, no stack trace. */
function broken(file, damaged) {
  writeSync(2, `dmar: cannot ${damaged ? 'load' : 'read'} ${file}: the installation is ${damaged ? 'damaged' : 'incomplete'} (npm run build makes it)\n`);
  process.exit(2);
}

/** The largest code cache read (the build's are under 0.5 MB). */
const MAX_CACHE = 16 << 20;
/** A regular file, open, and its size; undefined for anything else (a directory opens too, then fails to read). */
const openSized = (p) => {
  let fd;
  try {
    fd = openSync(p, 'r');
    const st = fstatSync(fd);
    if (st.isFile()) return { fd, size: st.size };
  } catch {
    // not there, or not readable
  }
  if (fd !== undefined) closeSync(fd);
  return undefined;
};
/** Read up to `size` bytes of `fd` into `buf` at `at`, and close it; the count read (a failed read ends it early). */
const readInto = (fd, buf, at, size) => {
  let n = 0;
  try {
    for (let r; n < size && (r = readSync(fd, buf, at + n, size - n, n)) > 0; ) n += r;
  } catch {
    // what was read is what there is: a short cache is not used, a short bundle is an incomplete installation
  } finally {
    closeSync(fd);
  }
  return n;
};

/**
 * The bundle as Node wraps a CommonJS module, and its code cache, read through one buffer. A start pays for
 * fresh memory, a page fault each 4 KiB (12 us apiece on the VM of docs/performance.md): the wrapper is
 * written around the file's bytes in the buffer, so the source is made as one flat string (V8 would copy a
 * wrapped string once more to flatten it), and the cache is then read into the same, already touched, memory.
 */
function load({ file, id, userCache }) {
  // existsSync first: a failed open's exception costs a start more (0.7 ms, the first one)
  let cache = building || !userCache || !existsSync(userCache) ? undefined : openSized(userCache);
  if (!cache && !building && (id.key === key || !userCache)) cache = openSized(`${file}.cache`);
  // a cache is some hundred KB: a larger file is not read (the run then writes a new cache in its place)
  if (cache && cache.size > MAX_CACHE) {
    closeSync(cache.fd);
    cache = undefined;
  }
  const [head, tail] = WRAPPER;
  const src = openSized(file);
  if (!src) broken(file);
  const buf = Buffer.allocUnsafeSlow(Math.max(head.length + src.size + tail.length, cache ? cache.size : 0));
  buf.write(head, 0, 'latin1');
  const end = head.length + readInto(src.fd, buf, head.length, src.size);
  if (end !== head.length + src.size) broken(file);
  buf.write(tail, end, 'latin1');
  // latin1: the bundle is ASCII (esbuild escapes the rest; scripts/bundle.mjs checks), and a latin1 string is
  // made from the bytes faster than a UTF-8 one
  const source = buf.toString('latin1', 0, end + tail.length);
  const cachedData = cache && readInto(cache.fd, buf, 0, cache.size) === cache.size ? buf.subarray(0, cache.size) : undefined;
  try {
    return { script: new Script(source, { filename: file, cachedData }), cached: cachedData !== undefined };
  } catch {
    // a bundle cut short or overwritten does not compile
    return broken(file, 'damaged');
  }
}
const first = bundleFiles(bundleName);
const loaded = debug ? {} : load(first);
const { script } = loaded;

// A batch (decode or validate of a directory or of many files): V8's optimising compiler does less. Each
// table runs ~85 checks, each optimised as it warms up, and with V8's defaults compiling them costs more than
// it saves. Both commands inline less: a cumulative budget of 200 bytes of bytecode (the default is 920) took a
// tenth off the time of 10,000 tables. validate goes further, where paired runs measured it (docs/performance.md:
// 10,000 and 40,000 tables): a budget of 50, and no loop peeling, each about 30 ms of CPU less at 10,000
// tables (together a fifth less of the compiler's memory); decode measured no gain from either. And validate's young
// generation is scavenged on the main thread alone: it keeps only findings, some 30 KB alive per scavenge, too
// little to share out, and a helper thread competes with the compiler's (10,000 tables: 5-15 ms less; decode,
// whose output with -o stays in memory, gained nothing). Only for a batch
// (node:v8 costs a start 4 ms), and only once the bundle is compiled: V8 checks a code cache against its
// flags, and the caches are recorded and used without this one; no per-user cache is saved from such a run.
// the options of decode and validate that take a value (`--machine DIR` is no input; test/cli/code-cache.test.ts compares)
const BATCH_VALUE_OPTIONS = ['--dmesg', '--fail-on', '--format', '--iasl-dialect', '--ignore', '--machine', '--only', '--output'];
const isBatch = (args) => {
  const isOptionValue = (i) => i > 0 && (BATCH_VALUE_OPTIONS.includes(args[i - 1]) || GLOBAL_VALUE_OPTIONS.includes(args[i - 1]) || args[i - 1] === '-o');
  const inputs = args.filter((a, i) => !a.startsWith('-') && !isOptionValue(i));
  if (inputs.length > 8) return true;
  return inputs.some((a) => {
    try {
      return statSync(a).isDirectory();
    } catch {
      return false;
    }
  });
};
const batch = script !== undefined && !building && (command === 'validate' || command === 'decode') && isBatch(argv.slice(commandAt + 1));
const BATCH_FLAGS = {
  decode: '--max-inlined-bytecode-size-cumulative=200',
  validate: '--max-inlined-bytecode-size-cumulative=50 --no-turbo-loop-peeling --no-parallel-scavenge',
};
if (batch) require('node:v8').setFlagsFromString(BATCH_FLAGS[command]);

/**
 * The exports of a bundle: run as Node runs a CommonJS module, or (DMAR_DEBUG=1) loaded by Node, with its source
 * map. Its require is this file's: a bundle requires Node's own modules only (scripts/bundle.mjs checks every
 * require of a name in it), which any require loads alike.
 */
function evaluate(file, script) {
  const mod = { exports: {} };
  if (!script) {
    process.setSourceMapsEnabled(true);
    return require(file);
  }
  try {
    script.runInThisContext()(mod.exports, require, mod, file, dirname(file));
  } catch {
    broken(file, 'damaged');
  }
  // a bundle that compiles and runs but is not the CLI (an empty file, one cut short at a statement's end)
  if (typeof mod.exports.main !== 'function') broken(file, 'damaged');
  return mod.exports;
}
const cli = evaluate(first.file, script);
// A command's own bundle runs any other command by handing the command line to the whole CLI: its stand-in for
// that command's module calls this (scripts/bundle.mjs), before the command has read or written anything.
if (bundleName !== 'dmar' && !building)
  globalThis[Symbol.for('dmar.handover')] = () => {
    const whole = bundleFiles('dmar');
    const wholeLoaded = debug ? {} : load(whole);
    return evaluate(whole.file, wholeLoaded.script)
      .main(process.argv)
      .then((code) => {
        saveCache(whole, wholeLoaded);
        return code;
      });
  };

// A validate batch, once warm, leaves the optimising compiler to what is really hot. By then the functions
// every table runs are optimised; what the compiler takes up later is lukewarm (a check of a structure few
// tables have, the odd path), each compiled for a few thousand calls, and 10,000 tables spent ~100 ms of
// its threads' CPU on such compiles after the first 1,000. So the batch then multiplies V8's interrupt
// budget (the bytecode a function runs between two looks at whether to optimise it) by 16, V8 11's default
// of 67,584 bytes; a function still gets there, only later. Warm means: 1,500 tables validated since the
// batch's 20th distinct table (told by its Length and Checksum), so that a batch that starts with
// thousands of copies of one table (code optimised for that table alone, then undone by the others) is
// not held to its first compiles. docs/performance.md has the measurements (paired runs: 10,000 tables,
// the same sorted by size, and 2,000 copies of one table before 8,000 others).
const WARM = { distinct: 20, tables: 1500, flags: '--interrupt-budget=1081344' };
// And the batch's young generation stops growing once it holds 4 MiB. V8 starts it at 1 MiB and doubles it
// whenever as much as it holds has survived its collections since it last grew (the start's objects, then
// what the batch keeps: each table's result and findings): 8 MiB by the end of 10,000 tables, 32 MiB at
// 40,000 or in 200 tables of 400 findings each. Each new page is a page fault when first touched (12 us
// apiece on the VM of docs/performance.md). At 4 MiB a batch is collected more often, but with some 1,000
// fewer faults at 10,000 tables: paired runs, 14-24 ms less CPU at 10,000 tables (15-25 of 24-30 rounds),
// 82 ms at 40,000 (8 of 8), 14 ms on one core (14 of 14). Its size is looked at after 10, 20, 40 ... 1,280
// tables (each look makes a list of V8's spaces): a batch whose young generation is still smaller by then
// keeps V8's growth, and one already larger (a long directory listing is kept from the start) keeps its size.
const YOUNG = { bytes: 4 << 20, lastLook: 1280, flags: '--semi-space-growth-factor=1' };
/** Whether the young generation is as large as YOUNG.bytes, and if so stop its growing. */
function youngGrown(v8) {
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  if (!young || young.space_size < YOUNG.bytes) return false;
  v8.setFlagsFromString(YOUNG.flags);
  return true;
}
function warmth(v8) {
  const seen = new Set();
  let n = 0;
  let since = -1;
  let look = 10;
  return (b) => {
    n++;
    if (n === look) look = youngGrown(v8) || n >= YOUNG.lastLook ? 0 : n * 2;
    if (since < 0) {
      // Length (4 bytes at 4) and Checksum (at 9): every table validated has its ACPI header
      seen.add(((b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0) * 256 + b[9]);
      if (seen.size >= WARM.distinct) since = n;
    } else if (n - since >= WARM.tables) {
      // (past YOUNG.lastLook: the young generation's looks are over)
      v8.setFlagsFromString(WARM.flags);
      cli.listenToTables(undefined);
    }
  };
}
if (batch && command === 'validate' && cli.listenToTables) cli.listenToTables(warmth(require('node:v8')));

/** After the run, so that the functions the command compiled are in the cache too. */
function saveCache({ userCache }, { script, cached }) {
  // npm run build records its caches with build() instead
  if (building || !script) return;
  if (!userCache || batch || (cached && !script.cachedDataRejected)) return;
  const tmp = `${userCache}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(userCache), { recursive: true });
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, userCache);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}

/** npm run build (scripts/bundle.mjs): the bundled cache recorded from this run, and the key it is for. */
function build(code) {
  // a failed recording run leaves the files as they were (scripts/bundle.mjs then stops on its exit status)
  if (code !== 0) return code;
  writeFileSync(`${first.file}.cache`, script.createCachedData());
  writeFileSync(`${first.file}.id`, JSON.stringify({ hash: process.env.DMAR_BUNDLE_HASH, key }) + '\n');
  return code;
}

cli
  .main(process.argv)
  .then(building ? build : (c) => c)
  .then(
    (code) => {
      saveCache(first, loaded);
      // at once: every write of a command is synchronous and nothing is left to wait for, while V8 would
      // first run the garbage collection it has queued (3 ms of a decode)
      process.exit(code);
    },
    (e) => {
      // only DMAR_DEBUG=1 lets an error through main()
      console.error(e);
      process.exitCode = 2;
    },
  );
