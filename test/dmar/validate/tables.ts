// Companion tables for the validator tests: a MADT with given I/O APICs, and acpidump text holding several tables.
import { fixChecksum } from '../../../src/acpi/header.js';
import { MADT_FIXED_SIZE, MADT_IOAPIC_TYPE } from '../../../src/acpi/madt.js';

const IOAPIC_ENTRY = 12;

/** A MADT whose only entries are I/O APICs with these IDs (at 0xfec00000, 0xfec01000, ...). */
export function madtWithIoapics(ids: readonly number[]): Uint8Array {
  const b = new Uint8Array(MADT_FIXED_SIZE + IOAPIC_ENTRY * ids.length);
  const v = new DataView(b.buffer);
  b.set(Buffer.from('APIC'), 0);
  v.setUint32(4, b.length, true);
  b[8] = 5;
  ids.forEach((id, i) => {
    const o = MADT_FIXED_SIZE + IOAPIC_ENTRY * i;
    b[o] = MADT_IOAPIC_TYPE;
    b[o + 1] = IOAPIC_ENTRY;
    b[o + 2] = id;
    v.setUint32(o + 4, 0xfec00000 + 0x1000 * i, true);
    v.setUint32(o + 8, 24 * i, true);
  });
  fixChecksum(b);
  return b;
}

/** acpidump's text form: `SIG @ 0x...` then rows of 16 hex bytes. */
export function acpidumpText(tables: ReadonlyArray<readonly [string, Uint8Array]>): string {
  const out: string[] = [];
  for (const [sig, bytes] of tables) {
    out.push(`${sig} @ 0x0000000000000000`);
    for (let o = 0; o < bytes.length; o += 16) {
      const row = [...bytes.subarray(o, o + 16)];
      const hex = row.map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');
      const ascii = row.map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
      out.push(`    ${o.toString(16).padStart(4, '0').toUpperCase()}: ${hex.padEnd(47)}  ${ascii}`);
    }
    out.push('');
  }
  return out.join('\n');
}
