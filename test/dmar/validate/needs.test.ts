// The engine leaves out a check that needs the MADT when none is given, and one that needs the machine
// when no machine is (src/dmar/validate/engine.ts): that is only right while each such check reports
// nothing without its input. Run them so, on every table at hand: the fixtures, the crafted defects and
// the real corpus; and the engine's findings with the MADT and the machine given stay the same checks'.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../../src/dmar/decode.js';
import { CHECKS } from '../../../src/dmar/validate/catalogue.js';
import { Context } from '../../../src/dmar/validate/check.js';
import { validateBytes } from '../../../src/dmar/validate/engine.js';
import { corpusFiles, FIXTURES, HAVE_CORPUS } from '../../helpers.js';

const tables = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => join(FIXTURES, f)),
  ...readdirSync(join(FIXTURES, 'invalid'))
    .filter((f) => f.endsWith('.bin'))
    .map((f) => join(FIXTURES, 'invalid', f)),
  ...(HAVE_CORPUS ? corpusFiles() : []),
];
const needing = CHECKS.filter((c) => c.needs && c.run);

describe('checks that need the MADT or the machine report nothing without it', () => {
  test('there are such checks, and tables to run them on', () => {
    expect(needing.map((c) => c.needs)).toEqual(expect.arrayContaining(['MADT', 'memory map', 'PCI tree', 'IOMMU units']));
    expect(tables.length).toBeGreaterThan(HAVE_CORPUS ? 200 : 20);
  });

  test.each(needing.map((c) => [c.id, c] as const))('%s', (_id, check) => {
    let decoded = 0;
    for (const path of tables) {
      const bytes = new Uint8Array(readFileSync(path));
      let d: ReturnType<typeof decodeDmar>;
      try {
        d = decodeDmar(bytes, { strict: false });
      } catch {
        continue; // not a DMAR table at all: the engine rejects it before any check
      }
      decoded++;
      const reports: unknown[] = [];
      check.run!(new Context(bytes, d), (r) => reports.push(r));
      expect(reports, path).toEqual([]);
    }
    expect(decoded).toBeGreaterThan(10);
  });
});

test('the engine runs the MADT checks when the MADT is given', () => {
  // server-2s.bin sets INTR_REMAP; a MADT with an I/O APIC no DRHD scope names is reported
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'server-2s.bin')));
  const madt = new Uint8Array(44 + 12);
  madt.set(Buffer.from('APIC'), 0);
  new DataView(madt.buffer).setUint32(4, madt.length, true);
  madt.set([1, 12, 0x7e, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0], 44); // I/O APIC ID 0x7e at 0xfec00000
  const ids = (f: { id: string }[]) => f.map((x) => x.id);
  expect(ids(validateBytes(bytes))).not.toContain('DMAR-MADT-IOAPIC-UNMAPPED');
  expect(ids(validateBytes(bytes, { tables: [{ signature: 'APIC', bytes: madt }] }))).toContain('DMAR-MADT-IOAPIC-UNMAPPED');
});
