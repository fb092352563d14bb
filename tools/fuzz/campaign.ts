/**
 * A fuzz campaign: seed tables, mutated run by run with a PRNG derived from
 * (seed, run), each result checked. Deterministic: the same seeds, seed and
 * run count give the same inputs and the same verdicts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkInput, type Failure } from './check.js';
import { mutate } from './mutate.js';
import { Prng, runSeed } from './prng.js';

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

export interface Crash {
  run: number;
  seed: string;
  /** The mutations applied, in order. */
  steps: string[];
  input: Uint8Array;
  failures: Failure[];
}

export interface CampaignOptions {
  seeds: readonly Seed[];
  runs: number;
  seed: number;
  /** Called for each input that breaks a property, as soon as it is found. */
  onCrash?: (c: Crash) => void;
  /** Called after each run with its duration, for progress reports. */
  onRun?: (run: number, ms: number) => void;
  /**
   * A run slower than this is a failure ("bounded time"). Off by default: the
   * CI test asserts no timing (a loaded machine is slow); `npm run fuzz` sets it.
   */
  slowMs?: number;
}

export interface CampaignResult {
  runs: number;
  crashes: Crash[];
  /** How often each mutator was applied. */
  applied: Record<string, number>;
  slowest: { run: number; ms: number };
}

/** The input of one run (for replaying a reported run without the whole campaign). */
export function runInput(seeds: readonly Seed[], seed: number, run: number): { seed: Seed; steps: string[]; input: Uint8Array } {
  const rng = new Prng(runSeed(seed, run));
  const s = rng.pick(seeds);
  const m = mutate(s.bytes, rng);
  return { seed: s, steps: m.steps, input: m.bytes };
}

export function runCampaign(opts: CampaignOptions): CampaignResult {
  const crashes: Crash[] = [];
  const applied: Record<string, number> = {};
  let slowest = { run: -1, ms: 0 };
  for (let run = 0; run < opts.runs; run++) {
    const t0 = performance.now();
    const { seed, steps, input } = runInput(opts.seeds, opts.seed, run);
    for (const s of steps) {
      const name = s.slice(0, s.indexOf(':'));
      applied[name] = (applied[name] ?? 0) + 1;
    }
    const failures = checkInput(input, { reference: seed.bytes });
    const ms = performance.now() - t0;
    if (opts.slowMs !== undefined && ms > opts.slowMs) {
      failures.push({ property: 'bounded time', message: `${ms.toFixed(0)} ms for ${input.length} bytes (limit ${opts.slowMs} ms)` });
    }
    if (ms > slowest.ms) slowest = { run, ms };
    opts.onRun?.(run, ms);
    if (failures.length) {
      const c = { run, seed: seed.name, steps, input, failures };
      crashes.push(c);
      opts.onCrash?.(c);
    }
  }
  return { runs: opts.runs, crashes, applied, slowest };
}

/** Name of a crash fixture: the first property broken and a hash of the input (so a crash is saved once). */
export function crashName(c: Pick<Crash, 'input' | 'failures'>): string {
  const what = (c.failures[0]?.property ?? 'crash')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `${what}-${createHash('sha256').update(c.input).digest('hex').slice(0, 12)}`;
}

/**
 * What kind of failure a crash is: the properties it breaks, with exception
 * messages stripped of numbers, so that a campaign saves one input per kind.
 */
export function crashKind(c: Pick<Crash, 'failures'>): string {
  const parts = c.failures.map((f) => (f.stack ? `${f.property}: ${f.message.replace(/[0-9]+/g, '#')}` : f.property));
  return [...new Set(parts)].sort().join(' | ');
}

function filesUnder(dir: string, ext: string, skip: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (skip(p)) continue;
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, ext, skip));
    else if (name.endsWith(ext)) out.push(p);
  }
  return out;
}

/**
 * The seed tables: the project's fixtures (fixtures/**\/*.bin, except the
 * crash inputs in fixtures/fuzz/) and, when given and present, the corpus.
 */
export function loadSeeds(projectRoot: string, corpusDir?: string): Seed[] {
  const fixtures = join(projectRoot, 'fixtures');
  const crashDir = join(fixtures, 'fuzz');
  const seeds = filesUnder(fixtures, '.bin', (p) => p === crashDir).map((p) => ({ name: relative(projectRoot, p), bytes: readFileSync(p) }));
  if (corpusDir) {
    for (const p of filesUnder(corpusDir, '.dmar', () => false)) seeds.push({ name: `corpus/${relative(corpusDir, p)}`, bytes: readFileSync(p) });
  }
  return seeds.map((s) => ({ name: s.name, bytes: new Uint8Array(s.bytes) }));
}
