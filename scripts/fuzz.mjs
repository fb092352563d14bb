#!/usr/bin/env node
// Mutation fuzzer: mutates the fixtures (and the shared corpus when present),
// checks every library property on each result (tools/fuzz/check.ts), and
// saves each input that breaks one as fixtures/fuzz/NAME.bin, which
// test/fuzz/regressions.test.ts replays.
// One input is saved per kind of failure (the smallest found), unless --save-all.
// An input whose checks take longer than --slow-ms (default 2000) is a failure too.
// Usage: npm run fuzz -- [--runs N] [--seed S] [--corpus DIR] [--slow-ms MS] [--no-save] [--save-all]
// Exit status: 0 nothing found, 1 crashes found, 2 bad usage.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crashKind, crashName, loadSeeds, runCampaign } from '../build/tools/fuzz/index.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const args = process.argv.slice(2);
const opts = { runs: 10000, seed: Date.now() >>> 0, corpus: join(root, '..', 'shared', 'corpus', 'dmar'), save: true, saveAll: false, slowMs: 2000 };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => {
    if (i + 1 >= args.length) usage(`${a} needs a value`);
    return /** @type {string} */ (args[++i]);
  };
  if (a === '--runs') opts.runs = integer(a, value());
  else if (a === '--seed') opts.seed = integer(a, value()) >>> 0;
  else if (a === '--corpus') opts.corpus = value();
  else if (a === '--slow-ms') opts.slowMs = integer(a, value());
  else if (a === '--no-save') opts.save = false;
  else if (a === '--save-all') opts.saveAll = true;
  else if (a === '-h' || a === '--help') usage();
  else usage(`unknown argument ${JSON.stringify(a)}`);
}

/** @param {string} name @param {string} s */
function integer(name, s) {
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(s)) usage(`${name}: ${JSON.stringify(s)} is not a non-negative integer`);
  return Number(s);
}

/** @param {string} [msg] @returns {never} */
function usage(msg) {
  if (msg) console.error(`fuzz: ${msg}`);
  console.error('usage: npm run fuzz -- [--runs N] [--seed S] [--corpus DIR] [--slow-ms MS] [--no-save] [--save-all]');
  process.exit(msg ? 2 : 0);
}

const seeds = loadSeeds(root, existsSync(opts.corpus) ? opts.corpus : undefined);
if (seeds.length === 0) usage('no seed tables (fixtures/**/*.bin, corpus)');
console.log(`fuzz: seed ${opts.seed}, ${opts.runs} runs over ${seeds.length} tables${existsSync(opts.corpus) ? '' : ' (no corpus: fixtures only)'}`);

const crashDir = join(root, 'fixtures', 'fuzz');
/** Per kind of failure, the smallest input (or every input with --save-all). */
const toSave = new Map();
const t0 = performance.now();
let lastReport = t0;
const result = runCampaign({
  seeds,
  runs: opts.runs,
  seed: opts.seed,
  slowMs: opts.slowMs,
  onCrash(c) {
    console.log(`\nrun ${c.run}: ${c.seed}: ${c.steps.join('; ')}`);
    for (const f of c.failures) {
      console.log(`  ${f.property}: ${f.message}`);
      if (f.stack)
        console.log(
          f.stack
            .split('\n')
            .slice(1, 4)
            .map((l) => `    ${l.trim()}`)
            .join('\n'),
        );
    }
    const key = opts.saveAll ? crashName(c) : crashKind(c);
    const had = toSave.get(key);
    if (!had || c.input.length < had.input.length) toSave.set(key, c);
  },
  onRun(run) {
    const now = performance.now();
    if (now - lastReport > 5000) {
      lastReport = now;
      process.stdout.write(`fuzz: ${run + 1}/${opts.runs} runs\n`);
    }
  },
});
if (opts.save && toSave.size) {
  mkdirSync(crashDir, { recursive: true });
  for (const c of toSave.values()) {
    const name = crashName(c);
    writeFileSync(join(crashDir, `${name}.bin`), c.input);
    console.log(`saved fixtures/fuzz/${name}.bin (run ${c.run}, ${c.input.length} bytes)`);
  }
}
const secs = ((performance.now() - t0) / 1000).toFixed(1);
console.log(
  `fuzz: ${result.runs} runs in ${secs} s, ${result.crashes.length} failing inputs; slowest run ${result.slowest.run} (${result.slowest.ms.toFixed(1)} ms)`,
);
console.log(
  `fuzz: mutations applied: ${Object.entries(result.applied)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);
if (result.crashes.length) console.log(`fuzz: replay with: npm run fuzz -- --seed ${opts.seed} --runs ${opts.runs}`);
process.exit(result.crashes.length ? 1 : 0);
