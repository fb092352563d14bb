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

const ENTRY_HEADER_SIZE = rowsEnd(MADT_ENTRY_HEADER);
const ENTRY_LENGTH = fieldByKey(MADT_ENTRY_HEADER, 'length');

/**
 * Walk a MADT's entries up to `end` as acpi_parse_entries_array does: while more than an entry
 * header's bytes remain (one or two bytes of padding end the table). Calls `visit` for each entry;
 * returns the offset of the first entry whose Length is under 2 or runs past `end` (the walk stops
 * there), or undefined.
 */
function walkEntries(madt: Uint8Array, end: number, visit: (offset: number, type: number, length: number) => void): number | undefined {
  const typeRow = fieldByKey(MADT_ENTRY_HEADER, 'type');
  for (let o = MADT_FIXED_SIZE; end - o > ENTRY_HEADER_SIZE; ) {
    const len = readUint(madt, o + ENTRY_LENGTH.offset, ENTRY_LENGTH.size);
    if (len < ENTRY_HEADER_SIZE || o + len > end) return o;
    visit(o, readUint(madt, o + typeRow.offset, typeRow.size), len);
    o += len;
  }
  return undefined;
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
  const bad = walkEntries(madt, len, () => {});
  if (bad !== undefined) {
    const entry = readUint(madt, bad + ENTRY_LENGTH.offset, ENTRY_LENGTH.size);
    fail(bad, `the entry at ${bad} has Length ${entry}, which ${entry < ENTRY_HEADER_SIZE ? 'is under 2' : 'runs past the table'}`);
  }
}

/** The I/O APIC entries of a MADT (checkMadt() has refused a malformed one); a malformed entry ends the walk. */
export function madtIoapics(madt: Uint8Array): MadtIoapic[] {
  const out: MadtIoapic[] = [];
  const tableLength = fieldByKey(ACPI_HEADER_FIELDS, 'length');
  const end = Math.min(madt.length, madt.length >= fieldEnd(tableLength) ? readUint(madt, tableLength.offset, tableLength.size) : 0);
  walkEntries(madt, end, (o, type, len) => {
    if (type !== MADT_IOAPIC_TYPE || len < IOAPIC_SIZE) return;
    const v = (key: string) => {
      const r = fieldByKey(MADT_IOAPIC_FIELDS, key);
      return readUint(madt, o + r.offset, r.size);
    };
    out.push({ offset: o, id: v('id'), address: v('address'), gsiBase: v('gsiBase') });
  });
  return out;
}
