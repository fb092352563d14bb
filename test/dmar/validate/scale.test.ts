// Validation is linear (or n log n) in the structures of one table: correctness at sizes where an
// all-pairs check would take minutes. No timing here (npm run bench measures); these assert results.
import { describe, expect, test } from 'vitest';
import { firstOverlapping } from '../../../src/dmar/validate/drhd.js';
import { validateBytes } from '../../../src/dmar/validate/index.js';
import { drhdTable as drhdsOf } from '../../helpers.js';

/** A DMAR table of DRHDs without scopes: [base, Size (log2 pages)] each. */
const drhdTable = (units: ReadonlyArray<readonly [bigint, number]>) => drhdsOf(units.map(([base, size]) => ({ base, size })));

/** The all-pairs definition the check had: each unit against every earlier one, first overlap named. */
function bruteForce(units: ReadonlyArray<readonly [bigint, number]>): Array<[number, number]> {
  const r = units.map(([lo, size]) => ({ lo, hi: lo + (0x1000n << BigInt(size)) }));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < r.length; i++) {
    for (let k = 0; k < i; k++) {
      if (r[k]!.lo === r[i]!.lo) continue;
      if (r[i]!.lo < r[k]!.hi && r[k]!.lo < r[i]!.hi) {
        out.push([i, k]);
        break;
      }
    }
  }
  return out;
}

const overlaps = (bytes: Uint8Array) => validateBytes(bytes, { only: new Set(['DMAR-DRHD-REGISTER-OVERLAP']) }).map((f) => [f.structure, f.message]);

/** A seeded generator, so a failure reproduces. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe('DMAR-DRHD-REGISTER-OVERLAP without comparing every pair', () => {
  test('reports exactly what the all-pairs definition reports, naming the same unit', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = lcg(seed);
      const n = 1 + rnd(40);
      const units = Array.from({ length: n }, () => [0xfed00000n + 0x1000n * BigInt(rnd(64)), rnd(5)] as const);
      const want = bruteForce(units);
      const got = firstOverlapping(units.map(([lo, size], i) => ({ l: { index: i } as never, lo, hi: lo + (0x1000n << BigInt(size)) })));
      const pairs: Array<[number, number]> = [];
      got.forEach((k, i) => {
        if (k >= 0 && k < i) pairs.push([i, k]);
      });
      expect(pairs, `seed ${seed}`).toEqual(want);
      const table = overlaps(drhdTable(units));
      expect(
        table.map(([s]) => s),
        `seed ${seed}`,
      ).toEqual(want.map(([i]) => `DRHD #${i + 1}`));
      for (const [k, [, msg]] of want.map(([, k2], j) => [k2, table[j]!] as const)) expect(msg).toContain(`DRHD #${k + 1}'s`);
    }
  });

  test('100,000 DRHDs in one table: every planted overlap, and nothing else', () => {
    const n = 100_000;
    const units: Array<readonly [bigint, number]> = Array.from({ length: n }, (_, i) => [0x100000000n + 0x10000n * BigInt(i), 0] as const);
    // every 1000th unit gets 32 pages (128 KiB): it reaches over the next unit's base
    for (let i = 500; i < n - 1; i += 1000) units[i] = [units[i]![0], 5];
    const want = bruteForce(units.slice(0, 3000)).map(([i]) => i);
    expect(want).toEqual([501, 1501, 2501]);
    const found = overlaps(drhdTable(units));
    expect(found.length).toBe(100);
    expect(found[0]).toEqual(['DRHD #502', expect.stringContaining("overlap DRHD #501's")]);
    expect(found[99]![0]).toBe('DRHD #99502');
    // the whole catalogue runs too, and reports the table's units without an internal error
    const all = validateBytes(drhdTable(units));
    expect(all.filter((f) => f.id === 'DMAR-DRHD-REGISTER-OVERLAP').length).toBe(100);
  });
});
