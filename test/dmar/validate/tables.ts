// Tables for the tests: a MADT with given I/O APICs, acpidump text holding several tables, and a DMAR of many DRHDs.
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

/** A DMAR of `n` DRHDs of 16 bytes, each the INCLUDE_PCI_ALL unit of its own segment, registers 64 KiB apart (the shape the scaling bench uses). */
export function manyDrhds(n: number): Buffer {
  const b = Buffer.alloc(48 + 16 * n);
  b.write('DMAR', 0, 'latin1');
  b.writeUInt32LE(b.length, 4);
  b[8] = 1;
  b[36] = 45;
  for (let i = 0; i < n; i++) {
    const o = 48 + 16 * i;
    b.writeUInt16LE(16, o + 2);
    b[o + 4] = 1;
    b.writeUInt16LE(i, o + 6);
    b.writeBigUInt64LE(0x100000000n + 0x10000n * BigInt(i), o + 8);
  }
  fixChecksum(b);
  return b;
}
