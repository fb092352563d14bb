/**
 * The one description of the DMAR table. Field names are ACPICA's
 * (source/common/dmtbinfo1.c), offsets are from the start of the structure,
 * all integers little endian. Decoding, encoding, every output format and the
 * validator's field checks are driven by these rows.
 */
import { fieldByKey, rowsEnd, type FieldDef } from '../acpi/fields.js';

export { fieldByKey };

export const DMAR_SIGNATURE = 'DMAR';

export const IMS_OPTOUT_BIT = 3;

/** The DMAR fixed part after the ACPI header (offsets from table start). */
export const DMAR_FIELDS: readonly FieldDef[] = [
  {
    key: 'hostAddressWidth', name: 'Host Address Width', offset: 36, size: 1, kind: 'uint',
    doc: 'N means N+1 address bits (0x26 = 39 bits)', note: (v) => `${v + 1n}-bit addresses`,
  },
  {
    key: 'flags', name: 'Flags', offset: 37, size: 1, kind: 'uint',
    bits: [
      { name: 'INTR_REMAP', shift: 0, doc: 'the platform supports interrupt remapping' },
      { name: 'X2APIC_OPT_OUT', shift: 1, doc: 'firmware asks the OS not to enable x2APIC mode' },
      { name: 'DMA_CTRL_PLATFORM_OPT_IN', shift: 2, doc: 'firmware asks the OS to keep DMA remapping on (ACPICA: X2APIC_MODE)' },
      { name: 'IMS_OPTOUT', shift: IMS_OPTOUT_BIT, proposed: true, doc: 'native IMS must not be used (proposed)' },
    ],
  },
  { key: 'reserved', name: 'Reserved', offset: 38, size: 10, kind: 'bytes', reserved: true },
];
/** ACPI header (36) + Host Address Width, Flags, Reserved[10]: 48 bytes. */
export const DMAR_FIXED_SIZE = rowsEnd(DMAR_FIELDS);

/** Common header of every remapping structure (ACPICA AcpiDmTableInfoDmarHdr). */
export const SUBTABLE_HEADER_FIELDS: readonly FieldDef[] = [
  { key: 'type', name: 'Subtable Type', offset: 0, size: 2, kind: 'uint', role: 'type' },
  { key: 'length', name: 'Length', offset: 2, size: 2, kind: 'uint', role: 'length' },
];
/** 4 bytes. */
export const SUBTABLE_HEADER_SIZE = rowsEnd(SUBTABLE_HEADER_FIELDS);

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
export const SCOPE_FIELDS: readonly FieldDef[] = [
  { key: 'type', name: 'Device Scope Type', offset: 0, size: 1, kind: 'uint', role: 'type', enumNames: SCOPE_TYPE_NAMES },
  { key: 'length', name: 'Entry Length', offset: 1, size: 1, kind: 'uint', role: 'length' },
  {
    key: 'flags', name: 'Flags', offset: 2, size: 1, kind: 'uint',
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
];
/** 6 bytes. */
export const SCOPE_HEADER_SIZE = rowsEnd(SCOPE_FIELDS);

/** One PCI Path entry: printed by ACPICA as `DD,FF`. */
export const PATH_FIELDS: readonly FieldDef[] = [
  { key: 'device', name: 'Device', offset: 0, size: 1, kind: 'uint' },
  { key: 'function', name: 'Function', offset: 1, size: 1, kind: 'uint' },
];
/** 2 bytes. */
export const PATH_ENTRY_SIZE = rowsEnd(PATH_FIELDS);
export const PATH_NAME = 'PCI Path';

/** What follows the fixed part of a structure. */
export type BodyKind = 'scopes' | 'name' | 'none';

export interface StructDef {
  readonly type: number;
  /** Short name used in messages, JSON `kind` and the CLI. */
  readonly abbrev: string;
  /** ACPICA's bracketed name (AcpiDmDmarSubnames). */
  readonly title: string;
  /** Fixed part including the 4-byte common header: where the last of `fields` ends. */
  readonly fixedSize: number;
  /** Fields after the common header. */
  readonly fields: readonly FieldDef[];
  readonly body: BodyKind;
  /** The body's ACPICA name when it is a name. */
  readonly bodyName?: string;
  readonly proposed?: boolean;
  /** First ACPICA release whose iasl knows the type; undefined: none does. */
  readonly acpicaSince?: number;
  /** Exact Length the structure must have, if fixed. */
  readonly exactLength?: number;
  /** Its device scopes' Flags carry the named bits (elsewhere the byte is reserved). */
  readonly scopeFlagsNamed?: boolean;
}

const SEGMENT = (offset: number): FieldDef => ({ key: 'segment', name: 'PCI Segment Number', offset, size: 2, kind: 'uint' });

/** Remapping structure Type values (VT-d 8.2); 7 and above are reserved, 0x8001 is the proposed descriptor. */
export const STRUCT_TYPE = { DRHD: 0, RMRR: 1, ATSR: 2, RHSA: 3, ANDD: 4, SATC: 5, SIDP: 6 } as const;

export const VIRT_DESCRIPTOR_TYPE = 0x8001;

/** A structure as written below: its fixedSize follows from its rows. */
type StructRows = Omit<StructDef, 'fixedSize'>;

const STRUCT_ROWS: readonly StructRows[] = [
  {
    type: STRUCT_TYPE.DRHD, abbrev: 'DRHD', title: 'Hardware Unit Definition', body: 'scopes', acpicaSince: 0,
    fields: [
      { key: 'flags', name: 'Flags', offset: 4, size: 1, kind: 'uint', bits: [
        { name: 'INCLUDE_PCI_ALL', shift: 0, doc: 'the unit covers every device of its segment not named by another unit' },
      ] },
      {
        key: 'size', name: 'Size (decoded below)', offset: 5, size: 1, kind: 'uint',
        iasl2020: { name: 'Reserved' },
        bits: [{
          name: 'Size (pages, log2)', key: 'pagesLog2', shift: 0, width: 4, doc: 'register set size: 2^N 4 KiB pages',
          note: (v) => `${4 * 2 ** v} KiB`,
        }],
      },
      SEGMENT(6),
      { key: 'registerBaseAddress', name: 'Register Base Address', offset: 8, size: 8, kind: 'uint', radix: 16 },
    ],
  },
  {
    type: STRUCT_TYPE.RMRR, abbrev: 'RMRR', title: 'Reserved Memory Region', body: 'scopes', acpicaSince: 0,
    fields: [
      { key: 'reserved', name: 'Reserved', offset: 4, size: 2, kind: 'uint', reserved: true },
      SEGMENT(6),
      { key: 'baseAddress', name: 'Base Address', offset: 8, size: 8, kind: 'uint', radix: 16 },
      { key: 'endAddress', name: 'End Address (limit)', offset: 16, size: 8, kind: 'uint', radix: 16, doc: 'last byte of the region' },
    ],
  },
  {
    type: STRUCT_TYPE.ATSR, abbrev: 'ATSR', title: 'Root Port ATS Capability', body: 'scopes', acpicaSince: 0,
    fields: [
      { key: 'flags', name: 'Flags', offset: 4, size: 1, kind: 'uint', bits: [
        { name: 'ALL_PORTS', shift: 0, doc: 'every root port of the segment supports ATS' },
      ] },
      { key: 'reserved', name: 'Reserved', offset: 5, size: 1, kind: 'uint', reserved: true },
      SEGMENT(6),
    ],
  },
  {
    type: STRUCT_TYPE.RHSA, abbrev: 'RHSA', title: 'Remapping Hardware Static Affinity', body: 'none', acpicaSince: 0,
    exactLength: 20,
    fields: [
      { key: 'reserved', name: 'Reserved', offset: 4, size: 4, kind: 'uint', reserved: true },
      { key: 'baseAddress', name: 'Base Address', offset: 8, size: 8, kind: 'uint', radix: 16, doc: 'Register Base Address of a DRHD' },
      { key: 'proximityDomain', name: 'Proximity Domain', offset: 16, size: 4, kind: 'uint', radix: 10 },
    ],
  },
  {
    type: STRUCT_TYPE.ANDD, abbrev: 'ANDD', title: 'ACPI Namespace Device Declaration', body: 'name', bodyName: 'Device Name',
    acpicaSince: 0,
    fields: [
      { key: 'reserved', name: 'Reserved', offset: 4, size: 3, kind: 'uint', reserved: true },
      { key: 'deviceNumber', name: 'Device Number', offset: 7, size: 1, kind: 'uint', radix: 10, doc: 'Enumeration ID of namespace-device scopes' },
    ],
  },
  {
    type: STRUCT_TYPE.SATC, abbrev: 'SATC', title: 'SoC Integrated Address Translation Cache', body: 'scopes', acpicaSince: 20210331,
    fields: [
      { key: 'flags', name: 'Flags', offset: 4, size: 1, kind: 'uint', bits: [
        { name: 'ATC_REQUIRED', shift: 0, doc: 'the OS must enable the ATC of these devices' },
      ] },
      { key: 'reserved', name: 'Reserved', offset: 5, size: 1, kind: 'uint', reserved: true },
      SEGMENT(6),
    ],
  },
  {
    type: STRUCT_TYPE.SIDP, abbrev: 'SIDP', title: 'SoC Integrated Device Property', body: 'scopes', acpicaSince: 20240322,
    scopeFlagsNamed: true,
    fields: [
      { key: 'reserved', name: 'Reserved', offset: 4, size: 2, kind: 'uint', reserved: true },
      SEGMENT(6),
    ],
  },
  {
    type: VIRT_DESCRIPTOR_TYPE, abbrev: 'VIRT', title: 'Virtualization Descriptor (proposed)', body: 'none',
    proposed: true, exactLength: 32,
    fields: [
      { key: 'revision', name: 'Revision', offset: 4, size: 1, kind: 'uint', doc: '1' },
      { key: 'flags', name: 'Flags', offset: 5, size: 1, kind: 'uint', bits: [
        { name: 'VIRTUALIZED', shift: 0, doc: '1: the OS runs in a virtual machine; 0: firmware asserts bare metal' },
      ] },
      { key: 'reserved', name: 'Reserved', offset: 6, size: 2, kind: 'uint', reserved: true },
      { key: 'hypervisorSignature', name: 'Hypervisor Signature', offset: 8, size: 12, kind: 'ascii', doc: 'CPUID 0x40000000 vendor string' },
      { key: 'reserved2', name: 'Reserved', offset: 20, size: 4, kind: 'uint', reserved: true },
      { key: 'supportedFeatures', name: 'Supported Features', offset: 24, size: 8, kind: 'uint', bits: [
        { name: 'IMS', shift: 0, doc: 'the hypervisor composes IMS messages through a paravirtual call' },
        { name: 'MSI_COMPOSE', shift: 1, doc: 'the same call composes MSI/MSI-X messages of assigned devices' },
        { name: 'REMAPPABLE_DIRECT', shift: 2, doc: 'devices may write Remappable Format MSI messages directly' },
      ] },
    ],
  },
];

export const STRUCTS: readonly StructDef[] = STRUCT_ROWS.map((s) => ({ ...s, fixedSize: rowsEnd(s.fields) }));

export const VIRT_REVISION = 1;
/** The descriptor's one allowed Length (32). */
export const VIRT_LENGTH = STRUCTS.find((s) => s.type === VIRT_DESCRIPTOR_TYPE)!.exactLength!;
/** CLI names of the descriptor's feature bits. */
export const VIRT_FEATURE_CLI: Readonly<Record<string, string>> = {
  ims: 'IMS', 'msi-compose': 'MSI_COMPOSE', 'remappable-direct': 'REMAPPABLE_DIRECT',
};
/** CLI names of the DMAR Flags bits. */
export const DMAR_FLAG_CLI: Readonly<Record<string, string>> = {
  'intr-remap': 'INTR_REMAP', 'x2apic-optout': 'X2APIC_OPT_OUT',
  'dma-ctrl-platform-opt-in': 'DMA_CTRL_PLATFORM_OPT_IN', 'ims-optout': 'IMS_OPTOUT',
};

/** How a typed flag or feature name is compared: any case, `_` and `-` alike (`IMS_OPTOUT`, `ims-optout`, `Ims_OptOut`). */
const nameKey = (s: string): string => s.trim().toLowerCase().replace(/_/g, '-');

/**
 * A lookup from every accepted spelling of a name, the CLI name and the bit
 * name as displayed, to the bit's key. A Map, so no name typed by a user
 * reaches an object's prototype (`constructor`, `toString`).
 */
function nameLookup(cli: Readonly<Record<string, string>>): (typed: string) => string | undefined {
  const m = new Map<string, string>();
  for (const [c, key] of Object.entries(cli)) {
    m.set(nameKey(key), key);
    m.set(nameKey(c), key);
  }
  return (typed) => m.get(nameKey(typed));
}
/** The DMAR Flags bit key a typed flag name stands for. */
export const dmarFlagKey = nameLookup(DMAR_FLAG_CLI);
/** The Supported Features bit key a typed feature name stands for. */
export const virtFeatureKey = nameLookup(VIRT_FEATURE_CLI);

const BY_TYPE = new Map(STRUCTS.map((s) => [s.type, s]));
const BY_ABBREV = new Map(STRUCTS.map((s) => [s.abbrev, s]));

export function structDef(type: number): StructDef | undefined {
  return BY_TYPE.get(type);
}
export function structDefByAbbrev(abbrev: string): StructDef | undefined {
  return BY_ABBREV.get(abbrev.toUpperCase());
}

/** Title ACPICA prints for a type, including the types it does not know. */
export function structTitle(type: number): string {
  return structDef(type)?.title ?? 'Reserved';
}
