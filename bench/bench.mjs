#!/usr/bin/env node
// npm run bench: the figures docs/performance.md quotes.
// Runs against the compiled dist/ (npm run build first; `npm run bench` does)
// and the shared corpus when ../shared is beside the project (else the
// fixtures). Every comparison interleaves its runs and takes medians, and
// states ratios measured in the same run: on a shared machine the absolute
// figures move with the load, the ratios much less. CPU time (user + sys, from
// /usr/bin/time when present) is shown beside wall time for the same reason.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from 'binary-parser';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** @param {string} p */
const dist = (p) => join(root, 'dist/src', p);
const { decodeDmar } = await import(dist('dmar/decode.js'));
const { encodeDmar } = await import(dist('dmar/encode.js'));
const { toJson } = await import(dist('dmar/codec/json.js'));
const { fieldParser } = await import(dist('dmar/parsers.js'));
const { structDef } = await import(dist('dmar/schema.js'));
const { fixChecksum } = await import(dist('acpi/header.js'));
const { validateBytes } = await import(dist('dmar/validate/index.js'));

const quick = process.argv.includes('--quick');
const corpusDir = join(root, '..', 'shared', 'corpus', 'dmar');
const fixtureDir = join(root, 'fixtures');
const haveCorpus = existsSync(corpusDir);
const srcDir = haveCorpus ? corpusDir : fixtureDir;
const files = readdirSync(srcDir)
  .filter((f) => f.endsWith(haveCorpus ? '.dmar' : '.bin'))
  .sort()
  .map((f) => join(srcDir, f));
const tables = files.map((f) => readFileSync(f));
/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
};
/** @param {number} x */
const fmt = (x, d = 1) => x.toFixed(d);
const bin = join(root, 'bin/dmar.js');
const work = mkdtempSync(join(tmpdir(), 'dmar-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const haveTime = existsSync('/usr/bin/time');
const cpuModel =
  (() => {
    try {
      return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
    } catch {
      return undefined;
    }
  })() ?? cpus()[0]?.model;
const nproc = spawnSync('nproc').stdout?.toString().trim() || String(cpus().length);

console.log(
  `dmar bench on ${process.version}, ${nproc} cores (${cpuModel}), ${haveCorpus ? `the shared corpus (${tables.length} real tables)` : `the fixtures (${tables.length} tables; ../shared is absent)`}`,
);
console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
if (process.env.NODE_EXTRA_CA_CERTS) console.log('NODE_EXTRA_CA_CERTS is set here: every run below is made without it (cold start: with it too)');

/** Issue 13's goals, as measured in this run: printed together at the end. */
/** @type {string[]} */
const goals = [];
/** @param {string} what @param {number} ratio @param {number} limit */
const goal = (what, ratio, limit) => goals.push(`  ${ratio <= limit ? 'met    ' : 'NOT met'}  ${what}: ${fmt(ratio, 2)}x (goal ${limit}x)`);

/** @typedef {{ wall: number, cpu: number }} Timing */

/**
 * Run a command; wall ms and CPU ms (user + sys of the child, when /usr/bin/time is there).
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, ok?: (number | null)[] }} [opts]
 * @returns {Timing}
 */
function run(cmd, args, { env, cwd, ok = [0, 1] } = {}) {
  const timeFile = join(work, 'time.txt');
  const [c, a] = haveTime ? ['/usr/bin/time', ['-f', '%U %S', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const t = process.hrtime.bigint();
  // an iasl can loop for ever on input it does not expect: never wait for anything unbounded
  const r = spawnSync(c, a, { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env, cwd, maxBuffer: 1 << 28, timeout: 600_000, killSignal: 'SIGKILL' });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}: exit ${r.status}: ${r.stderr}`);
  const cpu = haveTime
    ? readFileSync(timeFile, 'utf8')
        .trim()
        .split(/\s+/)
        .slice(-2)
        .reduce((s, x) => s + Number(x) * 1000, 0)
    : NaN;
  return { wall, cpu };
}

/** @typedef {{ main: number, others: number, faults: number }} Split */
const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
const threadsPreload = join(work, 'threads.cjs');
// loaded with -r, which leaves V8's flags as they are (bin/dmar.js then uses the build's code cache as without it)
writeFileSync(
  threadsPreload,
  `const fs = require('node:fs');
process.on('exit', () => {
  const rows = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const st = fs.readFileSync('/proc/self/task/' + tid + '/stat', 'latin1');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      rows.push([Number(tid) === process.pid ? 'main' : 'other', Number(f[11]) + Number(f[12]), Number(f[7])]);
    } catch {}
  }
  fs.writeFileSync(process.env.DMAR_BENCH_THREADS, JSON.stringify(rows));
});
`,
);
/**
 * One run of `node -r threads.cjs ARGS`: the CPU time of its main thread and of its other threads, in ms, and
 * the process's minor page faults.
 * @param {string[]} args
 * @returns {Split}
 */
function threads(args) {
  const out = join(work, 'threads.json');
  rmSync(out, { force: true });
  const r = spawnSync(process.execPath, ['-r', threadsPreload, ...args], { env: { ...plainEnv, DMAR_BENCH_THREADS: out }, stdio: 'ignore', timeout: 600_000 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.slice(0, 2).join(' ')}: exit ${r.status}`);
  /** @type {[string, number, number][]} */
  const rows = JSON.parse(readFileSync(out, 'utf8'));
  const ms = (/** @type {string} */ kind) => (rows.filter((r) => r[0] === kind).reduce((s, r) => s + r[1], 0) * 1000) / ticksPerSecond;
  return { main: ms('main'), others: ms('other'), faults: rows.reduce((s, r) => s + r[2], 0) };
}

/**
 * Interleave the commands `n` times; medians of wall and CPU per label.
 * @template {Record<string, () => Timing>} C
 * @param {number} n
 * @param {C} cmds
 * @returns {{ [K in keyof C]: Timing }}
 */
function compare(n, cmds) {
  /** @type {Record<string, { wall: number[], cpu: number[] }>} */
  const out = Object.fromEntries(Object.keys(cmds).map((k) => [k, { wall: [], cpu: [] }]));
  for (const [, f] of Object.entries(cmds)) f(); // warm the page cache
  for (let i = 0; i < n; i++) {
    for (const [k, f] of Object.entries(cmds)) {
      const r = f();
      out[k]?.wall.push(r.wall);
      out[k]?.cpu.push(r.cpu);
    }
  }
  return /** @type {{ [K in keyof C]: Timing }} */ (Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { wall: median(v.wall), cpu: median(v.cpu) }])));
}
/** @param {string} label @param {Timing} r @param {Timing} [base] */
const show = (label, r, base) =>
  console.log(
    `  ${label.padEnd(44)}${fmt(r.wall, 0).padStart(7)} ms wall${haveTime ? `  ${fmt(r.cpu, 0).padStart(6)} ms cpu` : ''}` +
      (base ? `   ${fmt(r.wall / base.wall, 2)}x wall${haveTime ? `, ${fmt(r.cpu / base.cpu, 2)}x cpu` : ''}` : ''),
  );

// --- cold start --------------------------------------------------------------
const fixture = join(fixtureDir, 'server-2s.bin');
// NODE_EXTRA_CA_CERTS: a machine that sets it (some CI and corporate images do, for every process) makes every
// Node start load and parse that certificate file first, tens of ms, dmar's and node -e 0's and the floor's alike;
// the comparisons are of Node's own start and of the work, so no run here has it
const certsEnv = process.env.NODE_EXTRA_CA_CERTS ? { ...process.env, NODE_OPTIONS: '', XDG_CACHE_HOME: join(work, 'xdg') } : undefined;
/** @type {NodeJS.ProcessEnv} */
const plainEnv = { ...process.env, NODE_OPTIONS: '', XDG_CACHE_HOME: join(work, 'xdg') };
delete plainEnv.NODE_EXTRA_CA_CERTS;
const optsEnv = { ...plainEnv, NODE_OPTIONS: '--max-old-space-size=4096' };
const node = process.execPath;
// the per-user caches for these flags (validate's and every other command's)
run(node, [bin, 'decode', fixture], { env: optsEnv });
run(node, [bin, 'validate', fixture], { env: optsEnv });
// a start is some 20 ms over node -e 0's 65-70 on a machine whose neighbours move it by a few: 21 runs each
const runs = quick ? 5 : 21;
const cold = compare(runs, {
  bare: () => run(node, ['-e', '0'], { env: plainEnv }),
  decode: () => run(node, [bin, 'decode', fixture], { env: plainEnv }),
  json: () => run(node, [bin, 'decode', fixture, '--json'], { env: plainEnv }),
  validate: () => run(node, [bin, 'validate', fixture], { env: plainEnv }),
  bareO: () => run(node, ['-e', '0'], { env: optsEnv }),
  decodeO: () => run(node, [bin, 'decode', fixture], { env: optsEnv }),
  validateO: () => run(node, [bin, 'validate', fixture], { env: optsEnv }),
  ...(certsEnv
    ? {
        bareC: () => run(node, ['-e', '0'], { env: certsEnv }),
        decodeC: () => run(node, [bin, 'decode', fixture], { env: certsEnv }),
        validateC: () => run(node, [bin, 'validate', fixture], { env: certsEnv }),
      }
    : {}),
});
console.log(`cold start, medians of ${runs} interleaved runs:`);
show('node -e 0', cold.bare);
show('dmar decode (text)', cold.decode, cold.bare);
show('dmar decode --json', cold.json, cold.bare);
show('dmar validate FILE', cold.validate, cold.bare);
console.log('  with NODE_OPTIONS=--max-old-space-size=4096 (the per-user cache):');
show('node -e 0', cold.bareO);
show('dmar decode (text)', cold.decodeO, cold.bareO);
show('dmar validate FILE', cold.validateO, cold.bareO);
if (cold.bareC && cold.decodeC && cold.validateC) {
  console.log(`  with this machine's NODE_EXTRA_CA_CERTS (not a goal: every start pays it):`);
  show('node -e 0', cold.bareC);
  show('dmar decode (text)', cold.decodeC, cold.bareC);
  show('dmar validate FILE', cold.validateC, cold.bareC);
}
goal('cold start, dmar decode against node -e 0 (wall)', cold.decode.wall / cold.bare.wall, 1.3);
goal('cold start, dmar validate FILE against node -e 0 (wall)', cold.validate.wall / cold.bare.wall, 1.3);
goal('cold start with NODE_OPTIONS, dmar decode (wall)', cold.decodeO.wall / cold.bareO.wall, 1.3);
goal('cold start with NODE_OPTIONS, dmar validate FILE (wall)', cold.validateO.wall / cold.bareO.wall, 1.3);

// --- binary-parser: as generated, and as compiled here -------------------------
{
  const drhd = structDef(0);
  let p = new Parser().endianness('little');
  for (const f of drhd.fields) p = f.size === 1 ? p.uint8(f.key) : f.size === 2 ? p.uint16le(f.key) : p.uint64le(f.key);
  const ours = fieldParser(drhd.fields);
  const bytes = /** @type {Buffer} */ (tables[0]).subarray(52, 64);
  const n = 500_000;
  /** @param {(b: Uint8Array) => any} parse @returns {[number, number]} */
  const time = (parse) => {
    let sink = 0;
    for (let i = 0; i < 10_000; i++) sink += parse(bytes).segment;
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const v = parse(bytes);
      sink += v.flags + v.segment + v.size;
    }
    return [Number(process.hrtime.bigint() - t) / 1e6, sink];
  };
  const [theirs] = time((b) => p.parse(b));
  const [mine] = time((b) => ours.parse(b));
  console.log(`binary-parser, the DRHD fixed part parsed and 3 fields read, ${n} times:`);
  console.log(
    `  Parser.parse() as generated: ${fmt(theirs, 0)} ms; compiled once without its context bookkeeping: ${fmt(mine, 0)} ms (${fmt(theirs / mine, 1)}x faster)`,
  );
}

// --- in-process throughput ---------------------------------------------------
const N = 10_000;
const replicated = Array.from({ length: N }, (_, i) => /** @type {Buffer} */ (tables[i % tables.length]));
/** @param {string} label @param {(x: Buffer) => unknown} fn */
function throughput(label, fn) {
  for (let i = 0; i < 300; i++) fn(/** @type {Buffer} */ (replicated[i]));
  const t = process.hrtime.bigint();
  for (const x of replicated) fn(x);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`  ${label.padEnd(26)}${fmt(N / s, 0)} tables/s  (${N} tables in ${fmt(s * 1000, 0)} ms)`);
}
console.log(`in-process throughput, ${N} tables (the ${tables.length} replicated):`);
throughput('decode', (x) => decodeDmar(x));
throughput('decode + encode', (x) => encodeDmar(decodeDmar(x).table));
throughput('decode + JSON', (x) => JSON.stringify(toJson(decodeDmar(x).table, x)));
throughput('validate', (x) => validateBytes(x));

// --- batches against the floor and iasl ---------------------------------------
/**
 * n tables in a new directory. iasl gets a copy of its own: it writes a .dsl
 * beside every table, and in a shared directory the floor and dmar would read
 * those too from its second run on.
 * @param {number} n @param {string} ext @param {string} [tag]
 */
function corpusCopy(n, ext, tag = '') {
  const dir = join(work, `t${n}${ext}${tag}`);
  mkdirSync(dir);
  for (let i = 0; i < n; i++) copyFileSync(/** @type {string} */ (files[i % files.length]), join(dir, `t${String(i).padStart(6, '0')}${ext}`));
  return dir;
}
const iaslV = spawnSync('iasl', ['-v'], { timeout: 10_000, killSignal: 'SIGKILL' });
const haveIasl = iaslV.status !== null && !iaslV.error;
const tasksetV = spawnSync('taskset', ['-c', '0', 'true'], { timeout: 10_000 });
const haveTaskset = tasksetV.status === 0 && !tasksetV.error;
const floor = join(root, 'bench/floor.mjs');
const sizes = quick ? [1000] : [1000, 10_000];
for (const n of sizes) {
  const dir = corpusCopy(n, '.dat');
  const iaslDir = haveIasl ? corpusCopy(n, '.dat', '-iasl') : dir;
  const floorRun = () => run(node, [floor, dir], { env: plainEnv });
  // the goal's two, 7 times (the host moves a figure by a few per cent); iasl, seconds a run at 10,000, 3 times
  // with the floor again
  const dirRuns = quick ? 3 : 7;
  const r = compare(dirRuns, {
    floor: floorRun,
    validate: () => run(node, [bin, 'validate', dir], { env: plainEnv }),
    decode: () => run(node, [bin, 'decode', dir, '--json'], { env: plainEnv }),
  });
  const ri = haveIasl
    ? compare(3, {
        floor: floorRun,
        iasl: () => run('iasl', ['-d', ...readdirSync(iaslDir).filter((f) => f.endsWith('.dat'))], { cwd: iaslDir, ok: [0, 1, 255] }),
      })
    : undefined;
  console.log(`${n} tables in a directory, medians of ${dirRuns} interleaved runs (iasl: of 3, with the floor again):`);
  show('floor: read, checksum, walk headers (bench/floor.mjs)', r.floor);
  show('dmar validate DIR', r.validate, r.floor);
  show('dmar decode DIR --json (JSON Lines)', r.decode, r.floor);
  if (ri) show('iasl -d, all files in one call', ri.iasl, ri.floor);
  if (ri) console.log(`  dmar validate DIR takes ${fmt(r.validate.wall / ri.iasl.wall, 2)}x the time of iasl -d in one call`);
  if (n === sizes[sizes.length - 1] && existsSync('/proc/self/task')) {
    // where the CPU goes: a process's other threads are V8's (the optimising compiler, the GC) and libuv's
    const split = { floor: /** @type {Split[]} */ ([]), validate: /** @type {Split[]} */ ([]) };
    for (let i = 0; i < 3; i++) {
      split.floor.push(threads([floor, dir]));
      split.validate.push(threads([bin, 'validate', dir]));
    }
    console.log('  CPU by thread, medians of 3 runs (user + sys of each thread at exit, /proc; page faults of the process):');
    for (const [label, xs] of /** @type {[string, Split[]][]} */ ([
      ['floor', split.floor],
      ['dmar validate DIR', split.validate],
    ])) {
      const m = (/** @type {keyof Split} */ k) => fmt(median(xs.map((x) => x[k])), 0);
      console.log(`    ${label.padEnd(20)} main thread ${m('main').padStart(4)} ms, other threads ${m('others').padStart(4)} ms; ${m('faults')} page faults`);
    }
  }
  if (n === sizes[sizes.length - 1] && haveTaskset && Number(nproc) > 1) {
    // a one-core machine (a small CI runner): V8's compiler threads then take their time from the main thread's,
    // and the wall time is the CPU time
    const one = compare(dirRuns, {
      floor: () => run('taskset', ['-c', '0', node, floor, dir], { env: plainEnv }),
      validate: () => run('taskset', ['-c', '0', node, bin, 'validate', dir], { env: plainEnv }),
    });
    console.log(`  on one core (taskset -c 0), medians of ${dirRuns} interleaved runs:`);
    show('floor', one.floor);
    show('dmar validate DIR', one.validate, one.floor);
  }
  if (n === sizes[sizes.length - 1]) {
    goal(`dmar validate DIR of ${n} tables against the floor (wall)`, r.validate.wall / r.floor.wall, 2);
    goal(`dmar validate DIR of ${n} tables against the floor (CPU)`, r.validate.cpu / r.floor.cpu, 2);
  }
  for (const d of new Set([dir, iaslDir])) rmSync(d, { recursive: true, force: true });
}
if (haveIasl && haveCorpus) {
  const dir = corpusCopy(files.length, '.dat');
  const iaslDir = corpusCopy(files.length, '.dat', '-iasl');
  const names = readdirSync(iaslDir).filter((f) => f.endsWith('.dat'));
  // one process per file, started by one shell loop timed as a whole: /usr/bin/time's 10 ms steps,
  // summed over 205 short runs, would round iasl's CPU time to nearly nothing
  const perFile = () => run('sh', ['-c', 'for f in "$@"; do iasl -d "$f" >/dev/null 2>&1; done', 'sh', ...names], { cwd: iaslDir, ok: [0, 1, 255] });
  const r = compare(1, {
    validate: () => run(node, [bin, 'validate', dir], { env: plainEnv }),
    iaslOne: () => run('iasl', ['-d', ...names], { cwd: iaslDir, ok: [0, 1, 255] }),
    iaslEach: perFile,
  });
  console.log(`the ${names.length} real tables against iasl (one run each, interleaved):`);
  show('dmar validate DIR (one process)', r.validate);
  show('iasl -d, all files in one call', r.iaslOne, r.validate);
  show('iasl -d, one process per file', r.iaslEach, r.validate);
  console.log(
    `  dmar validate DIR: ${fmt(r.validate.wall / r.iaslOne.wall, 2)}x iasl in one call, ${fmt(r.validate.wall / r.iaslEach.wall, 2)}x iasl one process per file (wall)`,
  );
}

// --- structures per table ------------------------------------------------------
console.log('DRHDs in one table, dmar validate FILE (one run each):');
const drhdRuns = [];
for (const n of quick ? [10_000, 30_000] : [10_000, 30_000, 100_000]) {
  const b = new Uint8Array(48 + 16 * n);
  const v = new DataView(b.buffer);
  b.set(Buffer.from('DMAR'), 0);
  v.setUint32(4, b.length, true);
  b[8] = 1;
  b[36] = 45;
  for (let i = 0; i < n; i++) {
    const o = 48 + 16 * i;
    v.setUint16(o + 2, 16, true);
    b[o + 4] = 1; // INCLUDE_PCI_ALL, one unit per segment
    v.setUint16(o + 6, i, true);
    v.setBigUint64(o + 8, 0x100000000n + 0x10000n * BigInt(i), true);
  }
  fixChecksum(b);
  const f = join(work, `drhd-${n}.bin`);
  writeFileSync(f, b);
  const r = run(node, [bin, 'validate', f, '--format', 'json', '--max-input', '4M'], { env: plainEnv });
  drhdRuns.push({ n, r });
  show(`${n} DRHDs (${fmt(b.length / 1024, 0)} KiB)`, r);
}
{
  // linear: the time per DRHD of the largest table, after the start, against the smallest's
  const [a, z] = /** @type {[{ n: number, r: Timing }, { n: number, r: Timing }]} */ ([drhdRuns[0], drhdRuns[drhdRuns.length - 1]]);
  /** @param {{ n: number, r: Timing }} x */
  const per = (x) => (x.r.wall - cold.validate.wall) / x.n;
  if (per(a) > 0) goal(`DRHDs in one table, time per DRHD at ${z.n} against ${a.n} (after the start; linear is 1)`, per(z) / per(a), 1.5);
}
console.log(`issue 13's goals in this run (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}):`);
for (const g of goals) console.log(g);
console.log(`load average at end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
