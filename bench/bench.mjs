#!/usr/bin/env node
// npm run bench: the figures the README's performance section quotes.
// Runs against the compiled dist/ (npm ci or npm run build first) and the
// shared corpus when ../shared is beside the project (else the fixtures).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist/src', p);
const { decodeDmar } = await import(dist('dmar/decode.js'));
const { encodeDmar } = await import(dist('dmar/encode.js'));
const { toJson } = await import(dist('dmar/json.js'));

const corpusDir = join(root, '..', 'shared', 'corpus', 'dmar');
const fixtureDir = join(root, 'fixtures');
const haveCorpus = existsSync(corpusDir);
const srcDir = haveCorpus ? corpusDir : fixtureDir;
const files = readdirSync(srcDir).filter((f) => f.endsWith(haveCorpus ? '.dmar' : '.bin')).sort().map((f) => join(srcDir, f));
const tables = files.map((f) => readFileSync(f));
const N = 10_000;
const replicated = Array.from({ length: N }, (_, i) => tables[i % tables.length]);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const fmt = (x, d = 1) => x.toFixed(d);

console.log(`dmar bench on ${process.version}, ${haveCorpus ? `the shared corpus (${tables.length} real tables)` : `the fixtures (${tables.length} tables; ../shared is absent)`}`);

// --- cold start --------------------------------------------------------------
const runs = 15;
const fixture = join(fixtureDir, 'server-2s.bin');
function wall(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const bare = [];
const cold = [];
const coldJson = [];
wall(['-e', '0']);
for (let i = 0; i < runs; i++) {
  bare.push(wall(['-e', '0']));
  cold.push(wall([join(root, 'bin/dmar.js'), 'decode', fixture]));
  coldJson.push(wall([join(root, 'bin/dmar.js'), 'decode', fixture, '--json']));
}
const b = median(bare);
console.log(`cold start, median of ${runs} interleaved runs:`);
console.log(`  node -e 0                 ${fmt(b)} ms`);
console.log(`  dmar decode (text)        ${fmt(median(cold))} ms  (${fmt(median(cold) / b, 2)}x node -e 0)`);
console.log(`  dmar decode --json        ${fmt(median(coldJson))} ms  (${fmt(median(coldJson) / b, 2)}x node -e 0)`);

// --- in-process throughput ---------------------------------------------------
function throughput(label, fn) {
  for (let i = 0; i < 200; i++) fn(replicated[i]);
  const t = process.hrtime.bigint();
  for (const x of replicated) fn(x);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(`  ${label.padEnd(26)}${fmt(N / s, 0)} tables/s  (${N} tables in ${fmt(s * 1000, 0)} ms)`);
}
console.log(`in-process throughput, ${N} tables (the ${tables.length} replicated):`);
throughput('decode', (x) => decodeDmar(x));
throughput('decode + encode', (x) => encodeDmar(decodeDmar(x).table));
throughput('decode + JSON', (x) => JSON.stringify(toJson(decodeDmar(x).table, x)));

let validateMod;
try {
  validateMod = await import(dist('dmar/validate/index.js'));
} catch {
  validateMod = undefined;
}
if (validateMod?.validateBytes) throughput('validate', (x) => validateMod.validateBytes(x));

// --- whole corpus: dmar validate (one process) against iasl -d ---------------
if (validateMod?.validateBytes && haveCorpus) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(root, 'bin/dmar.js'), 'validate', corpusDir, '--format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ours = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`whole corpus (${tables.length} tables):`);
  console.log(`  dmar validate DIR         ${fmt(ours, 0)} ms  (exit ${r.status})`);
  // an iasl can loop for ever on input it does not expect: never wait for it unbounded
  const iasl = spawnSync('iasl', ['-v'], { timeout: 10_000, killSignal: 'SIGKILL' });
  if (iasl.status === 0 || iasl.stdout?.length) {
    const dir = mkdtempSync(join(tmpdir(), 'dmar-bench-'));
    for (const f of files) copyFileSync(f, join(dir, f.split('/').pop().replace(/\.dmar$/, '.dat')));
    const t1 = process.hrtime.bigint();
    for (const f of readdirSync(dir)) spawnSync('iasl', ['-d', join(dir, f)], { stdio: 'ignore', cwd: dir, timeout: 30_000, killSignal: 'SIGKILL' });
    const theirs = Number(process.hrtime.bigint() - t1) / 1e6;
    rmSync(dir, { recursive: true, force: true });
    console.log(`  iasl -d, one per table    ${fmt(theirs, 0)} ms  (dmar validate takes ${fmt(ours / theirs, 2)}x the time)`);
  } else {
    console.log('  iasl -d                   not installed (apt-get install acpica-tools)');
  }
}
