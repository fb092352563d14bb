import { fieldByKey, rows, rowsEnd } from './fields.js';

/** The header every ACPI table starts with (ACPICA AcpiDmTableInfoHeader). */
export const ACPI_HEADER_FIELDS = rows([
  { key: 'signature', name: 'Signature', offset: 0, size: 4, kind: 'ascii', role: 'signature' },
  { key: 'length', name: 'Table Length', offset: 4, size: 4, kind: 'uint', role: 'length' },
  { key: 'revision', name: 'Revision', offset: 8, size: 1, kind: 'uint' },
  { key: 'checksum', name: 'Checksum', offset: 9, size: 1, kind: 'uint', role: 'checksum' },
  { key: 'oemId', name: 'Oem ID', offset: 10, size: 6, kind: 'ascii' },
  { key: 'oemTableId', name: 'Oem Table ID', offset: 16, size: 8, kind: 'ascii' },
  { key: 'oemRevision', name: 'Oem Revision', offset: 24, size: 4, kind: 'uint' },
  { key: 'creatorId', name: 'Asl Compiler ID', offset: 28, size: 4, kind: 'ascii' },
  { key: 'creatorRevision', name: 'Asl Compiler Revision', offset: 32, size: 4, kind: 'uint' },
]);
/** 36 bytes. */
export const ACPI_HEADER_SIZE = rowsEnd(ACPI_HEADER_FIELDS);
const CHECKSUM_AT = fieldByKey(ACPI_HEADER_FIELDS, 'checksum').offset;

/**
 * A library caller's bytes are a Uint8Array (a Buffer is one): an ArrayBuffer, a DataView, an array of numbers
 * or a string would read as no bytes, or as garbage, and give a wrong diagnosis. A TypeError, as for any
 * argument of the wrong type.
 */
export function expectBytes(bytes: unknown, what = 'the table'): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    const got = bytes === null ? 'null' : typeof bytes === 'object' ? (bytes.constructor?.name ?? 'an object') : typeof bytes;
    throw new TypeError(`${what}: expected a Uint8Array (or Buffer), got ${got}`);
  }
}

/** Sum of the bytes (up to `end`, all by default) mod 256; a valid table sums to 0. */
export function byteSum(bytes: Uint8Array, end?: number): number {
  expectBytes(bytes);
  const n = end === undefined ? bytes.length : Math.min(end, bytes.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += bytes[i]!;
  return s & 0xff;
}

/** The checksum byte that makes `bytes` (with its checksum where the Checksum row says) sum to 0. */
export function computeChecksum(bytes: Uint8Array): number {
  return (0x100 - ((byteSum(bytes) - bytes[CHECKSUM_AT]!) & 0xff)) & 0xff;
}

export function checksumValid(bytes: Uint8Array): boolean {
  return byteSum(bytes) === 0;
}

/** Write the checksum in place. */
export function fixChecksum(bytes: Uint8Array): void {
  bytes[CHECKSUM_AT] = 0;
  bytes[CHECKSUM_AT] = computeChecksum(bytes);
}
