/**
 * The few MADT ("APIC") rows the DMAR validator needs: its interrupt
 * controller entries, and of those the I/O APICs (ACPICA AcpiDmTableInfoMadt1).
 */
import { fieldByKey, fieldEnd, readUint, rowsEnd, type FieldDef } from './fields.js';
import { ACPI_HEADER_FIELDS, ACPI_HEADER_SIZE } from './header.js';
import { DmarError } from '../dmar/errors.js';

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

/**
 * Refuse a MADT that cannot be what it claims (the machine context it gives would be false):
 * not "APIC", shorter than its fixed part, a Table Length it does not hold, or an entry whose
 * Length is under 2 or runs past the table. A DmarError naming `file` and the offset.
 */
export function checkMadt(madt: Uint8Array, file: string): void {
  const fail = (offset: number, message: string) => {
    throw new DmarError(`MADT: ${message}`, { file, offset, code: 'DMAR-MADT-INVALID' });
  };
  const signature = fieldByKey(ACPI_HEADER_FIELDS, 'signature');
  const tableLength = fieldByKey(ACPI_HEADER_FIELDS, 'length');
  if (madt.length < MADT_FIXED_SIZE) fail(0, `${madt.length} bytes, shorter than a MADT's fixed part (${MADT_FIXED_SIZE})`);
  const sig = String.fromCharCode(...madt.subarray(signature.offset, fieldEnd(signature)));
  if (sig !== MADT_SIGNATURE) fail(signature.offset, `signature is ${JSON.stringify(sig).replace(/[^\x20-\x7e]/g, '?')}, not "${MADT_SIGNATURE}"`);
  const len = readUint(madt, tableLength.offset, tableLength.size);
  if (len < MADT_FIXED_SIZE || len > madt.length)
    fail(tableLength.offset, `Table Length ${len} is not within the ${madt.length} bytes read (at least ${MADT_FIXED_SIZE})`);
  const lenRow = fieldByKey(MADT_ENTRY_HEADER, 'length');
  // as acpi_parse_entries_array walks: while more than an entry header's bytes remain (1-2 bytes of padding end the table)
  for (let o = MADT_FIXED_SIZE; len - o > rowsEnd(MADT_ENTRY_HEADER); ) {
    const entry = readUint(madt, o + lenRow.offset, lenRow.size);
    if (entry < rowsEnd(MADT_ENTRY_HEADER) || o + entry > len)
      fail(o, `the entry at ${o} has Length ${entry}, which ${entry < 2 ? 'is under 2' : 'runs past the table'}`);
    o += entry;
  }
}

/** The I/O APIC entries of a MADT (checkMadt() has refused a malformed one); a malformed entry ends the walk. */
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
