// The MADT I/O APIC entries the validator cross-checks, read from real acpidumps and a built table.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readSource } from '../../src/io/input.js';
import { madtIoapics } from '../../src/acpi/madt.js';
import { madtWithIoapics } from '../dmar/validate/tables.js';
import { ACPIDUMPS, HAVE_CORPUS } from '../helpers.js';

describe('madtIoapics', () => {
  test('reads every I/O APIC entry with its ID, address and GSI base', () => {
    expect(madtIoapics(madtWithIoapics([2, 9]))).toEqual([
      { offset: 44, id: 2, address: 0xfec00000, gsiBase: 0 },
      { offset: 56, id: 9, address: 0xfec01000, gsiBase: 24 },
    ]);
  });

  test('stops at a malformed entry instead of reading past the table', () => {
    const m = madtWithIoapics([2, 9]);
    m[56 + 1] = 0; // second entry Length 0
    expect(madtIoapics(m).map((a) => a.id)).toEqual([2]);
    expect(madtIoapics(m.subarray(0, 50))).toEqual([]);
  });

  test.skipIf(!HAVE_CORPUS)('real MADTs: a two-socket server has I/O APICs 1 and 2, a laptop one', () => {
    const apic = (name: string) => readSource(join(ACPIDUMPS, `${name}.acpidump.txt`), 'APIC').bytes;
    expect(madtIoapics(apic('0AD635180FE5')).map((a) => a.id)).toEqual([1, 2]);
    expect(madtIoapics(apic('055F3A7CF9A9')).map((a) => a.id)).toEqual([2]);
  });
});
