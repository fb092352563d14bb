/**
 * The ACPI HPET table, as far as DMAR HPET scopes are judged against it: its
 * HPET Number is the Enumeration ID a scope must give (Linux hpet_blockid).
 * Read from a machine's tables (machine/facts.ts) or from an acpidump's.
 */
import { ACPI_HEADER_FIELDS, ACPI_HEADER_SIZE } from './header.js';
import { fieldByKey, readUint } from './fields.js';

export const HPET_SIGNATURE = 'HPET';

export interface HpetInfo {
  /** HPET Number (the DMAR HPET scope's Enumeration ID; Linux hpet_blockid). */
  number: number;
  address: bigint;
}

/** ACPI HPET table: Event Timer Block ID (36), Base Address GAS (40; address at 44), HPET Number (52). */
const HPET_NUMBER_AT = ACPI_HEADER_SIZE + 4 + 12;
const HPET_ADDRESS_AT = ACPI_HEADER_SIZE + 4 + 4;

/** The HPET's number and address; undefined for a table too short to hold its number (by its bytes or its Length). */
export function hpetInfo(table: Uint8Array): HpetInfo | undefined {
  const len = fieldByKey(ACPI_HEADER_FIELDS, 'length');
  if (table.length < HPET_NUMBER_AT + 1 || readUint(table, len.offset, len.size) < HPET_NUMBER_AT + 1) return undefined;
  const lo = BigInt(readUint(table, HPET_ADDRESS_AT, 4));
  const hi = BigInt(readUint(table, HPET_ADDRESS_AT + 4, 4));
  return { number: table[HPET_NUMBER_AT]!, address: (hi << 32n) | lo };
}
