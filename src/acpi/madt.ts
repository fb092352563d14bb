/**
 * The few MADT ("APIC") rows the DMAR validator needs: its interrupt
 * controller entries, and of those the I/O APICs (ACPICA AcpiDmTableInfoMadt1).
 */
import { fieldByKey, fieldEnd, readUint, rowsEnd, type FieldDef } from './fields.js';
import { ACPI_HEADER_FIELDS, ACPI_HEADER_SIZE } from './header.js';

export const MADT_SIGNATURE = 'APIC';

/** After the ACPI header: Local Apic Address (4), Flags (4). */
export const MADT_FIXED_FIELDS: readonly FieldDef[] = [
  { key: 'localApicAddress', name: 'Local Apic Address', offset: ACPI_HEADER_SIZE, size: 4, kind: 'uint' },
  { key: 'flags', name: 'Flags (decoded below)', offset: ACPI_HEADER_SIZE + 4, size: 4, kind: 'uint' },
];
export const MADT_FIXED_SIZE = rowsEnd(MADT_FIXED_FIELDS);

export const MADT_ENTRY_HEADER: readonly FieldDef[] = [
  { key: 'type', name: 'Subtable Type', offset: 0, size: 1, kind: 'uint', role: 'type' },
  { key: 'length', name: 'Length', offset: 1, size: 1, kind: 'uint', role: 'length' },
];

export const MADT_IOAPIC_TYPE = 1;
export const MADT_IOAPIC_FIELDS: readonly FieldDef[] = [
  { key: 'id', name: 'I/O Apic ID', offset: 2, size: 1, kind: 'uint' },
  { key: 'reserved', name: 'Reserved', offset: 3, size: 1, kind: 'uint', reserved: true },
  { key: 'address', name: 'Address', offset: 4, size: 4, kind: 'uint' },
  { key: 'gsiBase', name: 'Interrupt', offset: 8, size: 4, kind: 'uint' },
];
const IOAPIC_SIZE = rowsEnd(MADT_IOAPIC_FIELDS);

export interface MadtIoapic {
  /** Offset of the entry in the MADT. */
  offset: number;
  id: number;
  address: number;
  gsiBase: number;
}

/** The I/O APIC entries of a MADT; a malformed entry ends the walk (the MADT is not what is being validated). */
export function madtIoapics(madt: Uint8Array): MadtIoapic[] {
  const out: MadtIoapic[] = [];
  const lenRow = fieldByKey(MADT_ENTRY_HEADER, 'length');
  const typeRow = fieldByKey(MADT_ENTRY_HEADER, 'type');
  const tableLength = fieldByKey(ACPI_HEADER_FIELDS, 'length');
  const headerSize = rowsEnd(MADT_ENTRY_HEADER);
  const end = Math.min(madt.length, madt.length >= fieldEnd(tableLength) ? readUint(madt, tableLength.offset, tableLength.size) : 0);
  let o = MADT_FIXED_SIZE;
  while (o + headerSize <= end) {
    const len = readUint(madt, o + lenRow.offset, lenRow.size);
    if (len < headerSize || o + len > end) break;
    if (readUint(madt, o + typeRow.offset, typeRow.size) === MADT_IOAPIC_TYPE && len >= IOAPIC_SIZE) {
      const v = (key: string) => {
        const r = fieldByKey(MADT_IOAPIC_FIELDS, key);
        return readUint(madt, o + r.offset, r.size);
      };
      out.push({ offset: o, id: v('id'), address: v('address'), gsiBase: v('gsiBase') });
    }
    o += len;
  }
  return out;
}
