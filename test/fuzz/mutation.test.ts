// The mutation fuzzer in CI: a fixed seed and a bounded number of runs over
// the fixtures and (when present) the corpus. `npm run fuzz -- --runs N --seed S` runs longer campaigns.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ACPI_HEADER_FIELDS } from '../../src/acpi/header.js';
import { fieldByKey } from '../../src/dmar/schema.js';
import { crashKind, loadSeeds, runCampaign, runInput } from '../../tools/fuzz/campaign.js';
import { firstDifference } from '../../tools/fuzz/check.js';
import { frame } from '../../tools/fuzz/frame.js';
import { MUTATOR_NAMES, MUTATORS } from '../../tools/fuzz/mutate.js';
import { Prng } from '../../tools/fuzz/prng.js';
import { CORPUS, FIXTURES, HAVE_CORPUS, ROOT } from '../helpers.js';

const CI_SEED = 0x5eed_d3a7;
const CI_RUNS = 2000;

const seeds = loadSeeds(ROOT, HAVE_CORPUS ? CORPUS : undefined);
// server-2s has every length field the mutators aim at: structures with device scopes
const server = new Uint8Array(readFileSync(join(FIXTURES, 'server-2s.bin')));
const LENGTH = fieldByKey(ACPI_HEADER_FIELDS, 'length');

/** Offsets where two equally long byte strings differ. */
function differing(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

describe('the mutators', () => {
  const f = frame(server);
  const apply = (name: string, s: number) => MUTATORS[name]!(server, new Prng(s), f)!;

  test('the walk finds every structure and device scope of a valid table', () => {
    expect(f.structures.length).toBeGreaterThan(3);
    expect(f.structures[0]!.offset).toBe(48);
    expect(f.structures.reduce((n, s) => n + s.length, 48)).toBe(server.length);
    expect(f.scopes.length).toBeGreaterThan(3);
  });

  test('length mutators change only a length field, to one of the values aimed at', () => {
    for (let s = 0; s < 60; s++) {
      const t = apply('table-length', s).bytes;
      expect(differing(server, t).every((o) => o >= LENGTH.offset && o < LENGTH.offset + LENGTH.size)).toBe(true);
      const st = apply('structure-length', s).bytes;
      const ds = differing(server, st);
      expect(ds.every((o) => f.structures.some((x) => o === x.offset + 2 || o === x.offset + 3))).toBe(true);
      const sc = apply('scope-length', s).bytes;
      const dc = differing(server, sc);
      expect(dc.length).toBeLessThanOrEqual(1);
      expect(dc.every((o) => f.scopes.some((x) => o === x.offset + 1))).toBe(true);
      const past = apply('length-past-end', s).bytes;
      expect(new DataView(past.buffer).getUint32(LENGTH.offset, true)).toBeGreaterThan(server.length);
    }
    // the values the issue names are among those chosen
    const structValues = new Set<number>();
    for (let s = 0; s < 400; s++) {
      const st = apply('structure-length', s);
      structValues.add(Number(/Length = (\d+)/.exec(st.what)![1]));
    }
    for (const v of [0, 1, 3, 0xffff]) expect(structValues).toContain(v);
  });

  test('truncation keeps a prefix; duplication and removal move whole structures', () => {
    const sizes = new Set(f.structures.map((s) => s.length));
    for (let s = 0; s < 60; s++) {
      const t = apply('truncate', s).bytes;
      expect(t.length).toBeLessThan(server.length);
      expect(firstDifference(t, server.subarray(0, t.length))).toBe(-1);
      for (const name of ['duplicate', 'remove']) {
        const m = apply(name, s).bytes;
        expect(sizes).toContain(Math.abs(m.length - server.length));
        // the rest of the table is untouched, but for Table Length when it followed the change
        const prefix = Math.min(m.length, server.length, f.structures[0]!.offset);
        expect(differing(server.subarray(0, prefix), m.subarray(0, prefix)).every((o) => o >= LENGTH.offset && o < LENGTH.offset + LENGTH.size)).toBe(true);
      }
      const tail = apply('tail', s).bytes;
      expect(tail.length).toBeGreaterThan(server.length);
      expect(differing(server, tail.subarray(0, server.length)).every((o) => o >= LENGTH.offset && o < LENGTH.offset + LENGTH.size)).toBe(true);
    }
  });

  test('a run is reproduced from (seed, run) alone', () => {
    for (const run of [0, 1, 17, 999]) {
      const a = runInput(seeds, CI_SEED, run);
      const b = runInput(seeds, CI_SEED, run);
      expect(b.steps).toEqual(a.steps);
      expect(Buffer.from(b.input).equals(Buffer.from(a.input))).toBe(true);
    }
    expect(runInput(seeds, CI_SEED, 1).steps).not.toEqual(runInput(seeds, CI_SEED + 1, 1).steps);
  });
});

describe(`mutation campaign (seed ${CI_SEED}, ${CI_RUNS} runs${HAVE_CORPUS ? '' : ', fixtures only: no corpus'})`, () => {
  test('no mutated table breaks a property', () => {
    const r = runCampaign({ seeds, runs: CI_RUNS, seed: CI_SEED });
    for (const name of MUTATOR_NAMES) expect(r.applied[name] ?? 0, name).toBeGreaterThan(0);
    const report = r.crashes.slice(0, 5).map((c) => `run ${c.run} (${c.seed}: ${c.steps.join('; ')}): ${crashKind(c)}`);
    expect(report, `reproduce and save the inputs with: npm run fuzz -- --seed ${CI_SEED} --runs ${CI_RUNS}`).toEqual([]);
  });
});
