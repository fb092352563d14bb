/**
 * The device scope entry and its PCI Path (the schema's rows for them; import
 * them through schema.ts). They sit apart so that the body codecs (body.ts),
 * which the schema's structure rows use, can read them without an import cycle.
 */
import { rows, rowsEnd } from '../acpi/fields.js';

/** Device Scope Type values (VT-d 8.3.1); 0 and 6 and above are reserved. */
export const SCOPE_TYPE = { ENDPOINT: 1, BRIDGE: 2, IOAPIC: 3, HPET: 4, NAMESPACE: 5 } as const;

export const SCOPE_TYPE_NAMES: Readonly<Record<number, string>> = {
  [SCOPE_TYPE.ENDPOINT]: 'PCI Endpoint Device',
  [SCOPE_TYPE.BRIDGE]: 'PCI Bridge Device',
  [SCOPE_TYPE.IOAPIC]: 'IOAPIC Device',
  [SCOPE_TYPE.HPET]: 'Message-capable HPET Device',
  [SCOPE_TYPE.NAMESPACE]: 'Namespace Device',
};

/** A device scope type as people read it, reserved ones included. */
export function scopeTypeName(type: number): string {
  return SCOPE_TYPE_NAMES[type] ?? `Reserved type ${type}`;
}

/** Device scope entry (ACPICA AcpiDmTableInfoDmarScope), followed by PCI Path pairs. */
export const SCOPE_FIELDS = rows([
  { key: 'type', name: 'Device Scope Type', offset: 0, size: 1, kind: 'uint', role: 'type', enumNames: SCOPE_TYPE_NAMES },
  { key: 'length', name: 'Entry Length', offset: 1, size: 1, kind: 'uint', role: 'length' },
  {
    key: 'flags',
    name: 'Flags',
    offset: 2,
    size: 1,
    kind: 'uint',
    iasl2020: { name: 'Reserved', mergeNext: true },
    doc: 'reserved (0) except in SIDP, where it carries device properties',
    // VT-d 4.1, 8.3.1 (SoC Integrated Device Property reporting); edk2
    // DmaRemappingReportingTable.h names the same bits.
    bits: [
      { name: 'REQ_WO_PASID_NESTED_NOTALLOWED', shift: 0, doc: 'requests without PASID must not use nested translation' },
      { name: 'REQ_WO_PASID_PWSNP_NOTALLOWED', shift: 1, doc: 'requests without PASID must not be snooped for page walks' },
      { name: 'REQ_WO_PASID_PGSNP_NOTALLOWED', shift: 2, doc: 'requests without PASID must not have page snooping forced' },
      { name: 'ATC_HARDENED', shift: 3, doc: 'the device ATC is hardened (trusted)' },
      { name: 'ATC_REQUIRED', shift: 4, doc: 'the device requires its ATC to be enabled' },
    ],
  },
  { key: 'reserved', name: 'Reserved', offset: 3, size: 1, kind: 'uint', reserved: true },
  { key: 'enumerationId', name: 'Enumeration ID', offset: 4, size: 1, kind: 'uint', doc: 'IOAPIC ID, HPET number or ANDD Device Number' },
  { key: 'bus', name: 'PCI Bus Number', offset: 5, size: 1, kind: 'uint', doc: 'start bus of the PCI path' },
]);
/** 6 bytes. */
export const SCOPE_HEADER_SIZE = rowsEnd(SCOPE_FIELDS);

/** One PCI Path entry: printed by ACPICA as `DD,FF`. */
export const PATH_FIELDS = rows([
  { key: 'device', name: 'Device', offset: 0, size: 1, kind: 'uint' },
  { key: 'function', name: 'Function', offset: 1, size: 1, kind: 'uint' },
]);
/** 2 bytes. */
export const PATH_ENTRY_SIZE = rowsEnd(PATH_FIELDS);
export const PATH_NAME = 'PCI Path';
