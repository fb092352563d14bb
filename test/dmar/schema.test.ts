// The schema rows themselves: every row set is contiguous, every key unique, every size the end of its rows.
import { describe, expect, test } from 'vitest';
import { fieldEnd, type FieldDef } from '../../src/acpi/fields.js';
import { ACPI_HEADER_FIELDS, ACPI_HEADER_SIZE } from '../../src/acpi/header.js';
import { MADT_ENTRY_HEADER, MADT_FIXED_FIELDS, MADT_FIXED_SIZE, MADT_IOAPIC_FIELDS } from '../../src/acpi/madt.js';
import {
  DMAR_FIELDS,
  DMAR_FIXED_SIZE,
  PATH_ENTRY_SIZE,
  PATH_FIELDS,
  SCOPE_FIELDS,
  SCOPE_HEADER_SIZE,
  STRUCTS,
  SUBTABLE_HEADER_FIELDS,
  SUBTABLE_HEADER_SIZE,
  VIRT_DESCRIPTOR_TYPE,
  VIRT_LENGTH,
  structDef,
} from '../../src/dmar/schema.js';

const ROW_SETS: [string, readonly FieldDef[]][] = [
  ['ACPI header', ACPI_HEADER_FIELDS],
  ['DMAR fixed part', DMAR_FIELDS],
  ['structure header', SUBTABLE_HEADER_FIELDS],
  ['device scope', SCOPE_FIELDS],
  ['PCI Path entry', PATH_FIELDS],
  ['MADT fixed part', MADT_FIXED_FIELDS],
  ['MADT entry header', MADT_ENTRY_HEADER],
  ['MADT I/O APIC', MADT_IOAPIC_FIELDS],
  ...STRUCTS.map((s): [string, readonly FieldDef[]] => [s.abbrev, [...SUBTABLE_HEADER_FIELDS, ...s.fields]]),
];

describe('schema rows', () => {
  test.each(ROW_SETS)('%s: rows back to back, no gap, no overlap, positive sizes', (_name, rows) => {
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.offset, rows[i]!.name).toBe(fieldEnd(rows[i - 1]!));
    for (const r of rows) expect(r.size, r.name).toBeGreaterThan(0);
  });

  test.each(ROW_SETS)('%s: every key once', (_name, rows) => {
    const keys = rows.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('fixed sizes are where the rows end', () => {
    expect(ACPI_HEADER_SIZE).toBe(36);
    expect(DMAR_FIELDS[0]!.offset).toBe(ACPI_HEADER_SIZE);
    expect(DMAR_FIXED_SIZE).toBe(48);
    expect(SUBTABLE_HEADER_SIZE).toBe(4);
    expect(SCOPE_HEADER_SIZE).toBe(6);
    expect(PATH_ENTRY_SIZE).toBe(2);
    expect(MADT_FIXED_FIELDS[0]!.offset).toBe(ACPI_HEADER_SIZE);
    expect(MADT_FIXED_SIZE).toBe(44);
  });

  test.each(STRUCTS.map((s) => [s.abbrev, s] as const))('%s: fixedSize is the end of its last field, after the common header', (_name, s) => {
    expect(s.fields[0]!.offset).toBe(SUBTABLE_HEADER_SIZE);
    expect(s.fixedSize).toBe(fieldEnd(s.fields[s.fields.length - 1]!));
    if (s.exactLength !== undefined) expect(s.exactLength).toBe(s.fixedSize);
  });

  test('each type and abbreviation once; the descriptor is 32 bytes', () => {
    expect(new Set(STRUCTS.map((s) => s.type)).size).toBe(STRUCTS.length);
    expect(new Set(STRUCTS.map((s) => s.abbrev)).size).toBe(STRUCTS.length);
    expect(VIRT_LENGTH).toBe(32);
    expect(structDef(VIRT_DESCRIPTOR_TYPE)!.fixedSize).toBe(VIRT_LENGTH);
  });

  test('bit names and keys are unique within a field and fit it', () => {
    for (const [, rows] of ROW_SETS) {
      for (const r of rows) {
        const bits = r.bits ?? [];
        const keys = bits.map((b) => b.key ?? b.name);
        expect(new Set(keys).size, r.name).toBe(keys.length);
        for (const b of bits) expect(b.shift + (b.width ?? 1), `${r.name} ${b.name}`).toBeLessThanOrEqual(8 * r.size);
      }
    }
  });
});
