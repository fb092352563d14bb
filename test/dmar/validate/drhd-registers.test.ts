// DRHD register bases: DMAR-DRHD-REGISTER-OVERLAP and the rule of dmar/linux-rejects.ts behind dmar.linuxRejects: map_iommu() reserves
// each unit's registers, and a unit whose registers another already holds fails the parse of the whole table.
// The machine checks that compare the table's bases with the units a machine has name a few of the other side.
import { expect, test } from 'vitest';
import { decodeDmar } from '../../../src/dmar/decode.js';
import { validateBytes } from '../../../src/dmar/validate/index.js';
import { gatherEvidence } from '../../../src/ims/evidence.js';
import { drhdTable } from '../../helpers.js';

/** A DMAR table of DRHDs without scopes: [base, Size (log2 pages), segment] each. */
const drhds = (units: ReadonlyArray<readonly [bigint, number, number]>) => drhdTable(units.map(([base, size, segment]) => ({ base, size, segment })));

const findings = (b: Uint8Array) =>
  validateBytes(b, { only: new Set(['DMAR-DRHD-REGISTER-OVERLAP', 'DMAR-DRHD-DUPLICATE']) }).map((f) => `${f.id} ${f.structure}: ${f.message}`);
const rejects = (b: Uint8Array) => gatherEvidence({ table: decodeDmar(b).table, tableSource: 't', cli: {} }).evidence['dmar.linuxRejects'];

test('one register base on two segments is an overlap (addresses are one space), and Linux rejects the table', () => {
  const b = drhds([
    [0xfed90000n, 0, 0],
    [0xfed90000n, 0, 1],
  ]);
  expect(findings(b)).toEqual([
    "DMAR-DRHD-REGISTER-OVERLAP DRHD #2: registers 0xfed90000-0xfed90fff overlap DRHD #1's 0xfed90000-0xfed90fff (segment 0): in the first 4 KiB, which every Linux reserves",
  ]);
  expect(validateBytes(b).find((f) => f.id === 'DMAR-DRHD-REGISTER-OVERLAP')?.severity).toBe('error');
  expect(rejects(b)).toEqual({
    value: true,
    source:
      'DRHDs at offsets 0x30 and 0x40 have register bases 0xfed90000 and 0xfed90000, within 4 KiB: "Can\'t reserve memory", "Parse DMAR table failure.", Linux rejects the table',
  });
});

test('the same base on one segment is one unit listed twice: Linux merges it (DMAR-DRHD-DUPLICATE), no overlap, no rejection', () => {
  const b = drhds([
    [0xfed90000n, 0, 0],
    [0xfed90000n, 0, 0],
  ]);
  expect(findings(b)).toEqual(["DMAR-DRHD-DUPLICATE DRHD #2: segment 0, Register Base Address 0xfed90000 is also DRHD #1's"]);
  expect(rejects(b).value).toBe(false);
});

test('duplicates among 40 DRHDs on two interleaved segments: each names the first unit of its own segment with that base', () => {
  // more than 16 units per table (the duplicate walk's Map, not its pairwise loop); one base on both segments is no duplicate
  const base = (i: number) => 0xfed00000n + 0x1000n * BigInt(i);
  const at: Record<number, bigint> = { 1: base(0), 20: base(0), 21: base(0), 35: base(3), 38: base(0) };
  const b = drhds(Array.from({ length: 40 }, (_, i) => [at[i] ?? base(i), 0, i % 2] as const));
  const dup = validateBytes(b, { only: new Set(['DMAR-DRHD-DUPLICATE']) }).map((f) => `${f.structure}: ${f.message}`);
  expect(dup).toEqual([
    "DRHD #21: segment 0, Register Base Address 0xfed00000 is also DRHD #1's",
    "DRHD #22: segment 1, Register Base Address 0xfed00000 is also DRHD #2's",
    "DRHD #36: segment 1, Register Base Address 0xfed03000 is also DRHD #4's",
    "DRHD #39: segment 0, Register Base Address 0xfed00000 is also DRHD #1's",
  ]);
});

test('register sets that overlap past the first page only: Linux 6.3 and later fail, which the message says; the evidence (6.2 accepts) says it beside, with a warning', () => {
  const b = drhds([
    [0xfed90000n, 1, 0],
    [0xfed91000n, 0, 0],
  ]);
  expect(findings(b)).toEqual([
    "DMAR-DRHD-REGISTER-OVERLAP DRHD #2: registers 0xfed91000-0xfed91fff overlap DRHD #1's 0xfed90000-0xfed91fff: Linux 6.3 and later reserve them whole",
  ]);
  // linux-6.2 stands for 6.2 to 6.9: 6.2 accepts the table (the fact), 6.3 on reject it (said beside, and warned)
  const g = gatherEvidence({ table: decodeDmar(b).table, tableSource: 't', cli: {} });
  expect(g.evidence['dmar.linuxRejects']).toEqual({
    value: false,
    source:
      'Host Address Width 45, 2 DRHDs, none at address 0, no two on one register page: Linux 6.2 accepts the table (DRHDs at offsets 0x30 and 0x40 (register bases 0xfed90000 and 0xfed91000) overlap in the register sets their Size fields give (2^Size pages): Linux 6.3 and later reject it)',
  });
  expect(g.warnings).toEqual([
    'DRHDs at offsets 0x30 and 0x40 (register bases 0xfed90000 and 0xfed91000) overlap in the register sets their Size fields give (2^Size pages): Linux 6.3 and later reserve the sets whole and reject the table ("Can\'t reserve memory", "Parse DMAR table failure."): no IOMMU, no interrupt remapping, no IMS; Linux 6.2 accepts it, as dmar.linuxRejects says',
  ]);
  // a wide set reaching past a later unit's neighbour is found however the units are listed; sets that only touch do not overlap
  const sets = (units: ReadonlyArray<readonly [bigint, number, number]>) =>
    gatherEvidence({ table: decodeDmar(drhds(units)).table, tableSource: 't', cli: {} }).warnings;
  expect(
    sets([
      [0xfed93000n, 0, 0],
      [0xfed92000n, 0, 0],
      [0xfed80000n, 5, 0],
    ]),
  ).toHaveLength(1);
  expect(
    sets([
      [0xfed90000n, 1, 0],
      [0xfed92000n, 0, 0],
    ]),
  ).toEqual([]);
});

test('a clash among many units is found however they are ordered, and a duplicate between them does not hide it', () => {
  const units: [bigint, number, number][] = Array.from({ length: 2000 }, (_, i) => [0x100000000n + 0x10000n * BigInt(i), 0, 0]);
  expect(rejects(drhds(units)).value).toBe(false);
  // unit 1500 listed twice on segment 0, then once more on segment 3: the third clashes
  units.push([units[1500]![0], 0, 0], [units[1500]![0], 0, 3]);
  const r = rejects(drhds(units.reverse()));
  expect(r.value).toBe(true);
  expect(r.source).toContain('0x105dc0000 and 0x105dc0000');
});

test("a table and a machine that share no unit: each finding names a few of the other side's units, not all (the text grew as their product)", () => {
  const n = 2000;
  const b = drhds(Array.from({ length: n }, (_, i) => [0x100000000n + 0x10000n * BigInt(i), 0, 0] as const));
  const units = Array.from({ length: n }, (_, i) => ({
    name: `dmar${i}`,
    address: 0x900000000n + 0x1000n * BigInt(i),
    cap: 0xd2008c40660462n,
    ecap: 0xf050dan,
  }));
  const f = validateBytes(b, { machine: { source: 't', units }, only: new Set(['DMAR-UNIT-NOT-IN-TABLE', 'DMAR-UNIT-MISSING']) });
  expect(f.filter((x) => x.id === 'DMAR-UNIT-NOT-IN-TABLE')).toHaveLength(n);
  expect(f.filter((x) => x.id === 'DMAR-UNIT-MISSING')).toHaveLength(n);
  expect(f.find((x) => x.id === 'DMAR-UNIT-NOT-IN-TABLE')!.message).toBe(
    'dmar0 at 0x900000000 is no DRHD of this table (it has 0x100000000, 0x100010000, 0x100020000, 0x100030000, 0x100040000, 0x100050000, 0x100060000, 0x100070000 and 1992 more)',
  );
  expect(f.find((x) => x.id === 'DMAR-UNIT-MISSING')!.message).toMatch(
    /^no dmar unit at 0x100000000 on the machine \(it has dmar0 0x900000000, .* and 1992 more\)$/,
  );
  expect(Math.max(...f.map((x) => x.message.length))).toBeLessThan(300);
});
