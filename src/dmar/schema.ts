/**
 * The one description of the DMAR table. Field names are ACPICA's
 * (source/common/dmtbinfo1.c), offsets are from the start of the structure,
 * all integers little endian. Decoding, encoding, every output format and the
 * validator's field checks are driven by these rows.
 */
import { bitByKey, bitValue, fieldByKey, rows, rowsEnd, type BitDef, type FieldDef, type KeyOf, type Row } from '../acpi/fields.js';
import type { ACPI_HEADER_FIELDS } from '../acpi/header.js';
import { hex } from '../acpi/hex.js';
import { nameBody, NO_BODY, SCOPES_BODY, type BodyCodec } from './body.js';
import { num, type Fields } from './model.js';
import { SCOPE_TYPE, type PATH_FIELDS, type SCOPE_FIELDS } from './scope-rows.js';

export { fieldByKey };
export type { BodyCodec, BodyKind } from './body.js';

export const DMAR_SIGNATURE = 'DMAR';

export const IMS_OPTOUT_BIT = 3;

/** The DMAR fixed part after the ACPI header (offsets from table start). */
export const DMAR_FIELDS = rows([
  {
    key: 'hostAddressWidth',
    name: 'Host Address Width',
    offset: 36,
    size: 1,
    kind: 'uint',
    doc: 'N means N+1 address bits (0x26 = 39 bits)',
    note: (v) => `${v + 1n}-bit addresses`,
  },
  {
    key: 'flags',
    name: 'Flags',
    offset: 37,
    size: 1,
    kind: 'uint',
    bits: [
      { name: 'INTR_REMAP', shift: 0, cli: 'intr-remap', doc: 'the platform supports interrupt remapping' },
      { name: 'X2APIC_OPT_OUT', shift: 1, cli: 'x2apic-optout', doc: 'firmware asks the OS not to enable x2APIC mode' },
      {
        name: 'DMA_CTRL_PLATFORM_OPT_IN',
        shift: 2,
        cli: 'dma-ctrl-platform-opt-in',
        doc: 'firmware asks the OS to keep DMA remapping on (ACPICA: X2APIC_MODE)',
      },
      { name: 'IMS_OPTOUT', shift: IMS_OPTOUT_BIT, cli: 'ims-optout', proposed: true, doc: 'native IMS must not be used (proposed)' },
    ],
  },
  { key: 'reserved', name: 'Reserved', offset: 38, size: 10, kind: 'bytes', reserved: true },
]);
/** ACPI header (36) + Host Address Width, Flags, Reserved[10]: 48 bytes. */
export const DMAR_FIXED_SIZE = rowsEnd(DMAR_FIELDS);

/** Common header of every remapping structure (ACPICA AcpiDmTableInfoDmarHdr). */
export const SUBTABLE_HEADER_FIELDS = rows([
  { key: 'type', name: 'Subtable Type', offset: 0, size: 2, kind: 'uint', role: 'type' },
  { key: 'length', name: 'Length', offset: 2, size: 2, kind: 'uint', role: 'length' },
]);
/** 4 bytes. */
export const SUBTABLE_HEADER_SIZE = rowsEnd(SUBTABLE_HEADER_FIELDS);

export {
  PATH_ENTRY_SIZE,
  PATH_FIELDS,
  PATH_NAME,
  SCOPE_FIELDS,
  SCOPE_HEADER_SIZE,
  SCOPE_TYPE,
  SCOPE_TYPE_NAMES,
  scopeTypeName,
} from './scope-rows.js';

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
  /** What follows the fixed part (device scopes, a name, nothing), and how it is decoded, sized and laid out. */
  readonly body: BodyCodec;
  /**
   * The fields that identify the structure among others of its type (what
   * `diff` matches by), each with the word its key names it by.
   */
  readonly identity: readonly (readonly [key: string, label: string])[];
  /** The Device Scope Types it may list (VT-d chapter 8); present exactly when its body is device scopes. */
  readonly scopeTypes?: readonly number[];
  readonly proposed?: boolean;
  /** First ACPICA release whose iasl knows the type; undefined: none does. */
  readonly acpicaSince?: number;
  /** Exact Length the structure must have, if fixed. */
  readonly exactLength?: number;
  /** Its device scopes' Flags carry the named bits (elsewhere the byte is reserved). */
  readonly scopeFlagsNamed?: boolean;
}

const SEGMENT = <O extends number>(offset: O) => ({ key: 'segment', name: 'PCI Segment Number', offset, size: 2, kind: 'uint' }) as const;

/** Remapping structure Type values (VT-d 8.2); 7 and above are reserved, 0x8001 is the proposed descriptor. */
export const STRUCT_TYPE = { DRHD: 0, RMRR: 1, ATSR: 2, RHSA: 3, ANDD: 4, SATC: 5, SIDP: 6 } as const;

export const VIRT_DESCRIPTOR_TYPE = 0x8001;

/** The 4 KiB page (VT-d 8.3, 8.4: register bases and RMRR bounds align to it, DRHD Size counts 2^N of them; x86's PAGE_SIZE). */
export const PAGE_SIZE = 0x1000n;

/** The smallest Host Address Width Linux takes: `if (dmar->width < PAGE_SHIFT - 1)` rejects the table ("Invalid DMAR haw"). */
export const LINUX_MIN_HAW = 11;

/** A structure as written below: its fixedSize follows from its rows. */
type StructRows = Omit<StructDef, 'fixedSize'>;

const STRUCT_ROWS = [
  {
    type: STRUCT_TYPE.DRHD,
    abbrev: 'DRHD',
    title: 'Hardware Unit Definition',
    body: SCOPES_BODY,
    acpicaSince: 0,
    identity: [
      ['segment', 'segment'],
      ['registerBaseAddress', 'base'],
    ],
    scopeTypes: [SCOPE_TYPE.ENDPOINT, SCOPE_TYPE.BRIDGE, SCOPE_TYPE.IOAPIC, SCOPE_TYPE.HPET, SCOPE_TYPE.NAMESPACE],
    fields: rows([
      {
        key: 'flags',
        name: 'Flags',
        offset: 4,
        size: 1,
        kind: 'uint',
        bits: [{ name: 'INCLUDE_PCI_ALL', shift: 0, doc: 'the unit covers every device of its segment not named by another unit' }],
      },
      {
        key: 'size',
        name: 'Size (decoded below)',
        offset: 5,
        size: 1,
        kind: 'uint',
        iasl2020: { name: 'Reserved' },
        bits: [
          {
            name: 'Size (pages, log2)',
            key: 'pagesLog2',
            shift: 0,
            width: 4,
            doc: 'register set size: 2^N 4 KiB pages',
            note: (v) => `${4 * 2 ** v} KiB`,
          },
        ],
      },
      SEGMENT(6),
      { key: 'registerBaseAddress', name: 'Register Base Address', offset: 8, size: 8, kind: 'uint', radix: 16 },
    ]),
  },
  {
    type: STRUCT_TYPE.RMRR,
    abbrev: 'RMRR',
    title: 'Reserved Memory Region',
    body: SCOPES_BODY,
    acpicaSince: 0,
    identity: [
      ['segment', 'segment'],
      ['baseAddress', 'base'],
    ],
    // the devices that use the region
    scopeTypes: [SCOPE_TYPE.ENDPOINT, SCOPE_TYPE.BRIDGE, SCOPE_TYPE.NAMESPACE],
    fields: rows([
      { key: 'reserved', name: 'Reserved', offset: 4, size: 2, kind: 'uint', reserved: true },
      SEGMENT(6),
      { key: 'baseAddress', name: 'Base Address', offset: 8, size: 8, kind: 'uint', radix: 16 },
      { key: 'endAddress', name: 'End Address (limit)', offset: 16, size: 8, kind: 'uint', radix: 16, doc: 'last byte of the region' },
    ]),
  },
  {
    type: STRUCT_TYPE.ATSR,
    abbrev: 'ATSR',
    title: 'Root Port ATS Capability',
    body: SCOPES_BODY,
    acpicaSince: 0,
    identity: [['segment', 'segment']],
    // root ports (sub-hierarchies)
    scopeTypes: [SCOPE_TYPE.BRIDGE],
    fields: rows([
      {
        key: 'flags',
        name: 'Flags',
        offset: 4,
        size: 1,
        kind: 'uint',
        bits: [{ name: 'ALL_PORTS', shift: 0, doc: 'every root port of the segment supports ATS' }],
      },
      { key: 'reserved', name: 'Reserved', offset: 5, size: 1, kind: 'uint', reserved: true },
      SEGMENT(6),
    ]),
  },
  {
    type: STRUCT_TYPE.RHSA,
    abbrev: 'RHSA',
    title: 'Remapping Hardware Static Affinity',
    body: NO_BODY,
    acpicaSince: 0,
    identity: [['baseAddress', 'base']],
    exactLength: 20,
    fields: rows([
      { key: 'reserved', name: 'Reserved', offset: 4, size: 4, kind: 'uint', reserved: true },
      { key: 'baseAddress', name: 'Base Address', offset: 8, size: 8, kind: 'uint', radix: 16, doc: 'Register Base Address of a DRHD' },
      { key: 'proximityDomain', name: 'Proximity Domain', offset: 16, size: 4, kind: 'uint', radix: 10 },
    ]),
  },
  {
    type: STRUCT_TYPE.ANDD,
    abbrev: 'ANDD',
    title: 'ACPI Namespace Device Declaration',
    body: nameBody('Device Name'),
    identity: [['deviceNumber', 'device']],
    acpicaSince: 0,
    fields: rows([
      { key: 'reserved', name: 'Reserved', offset: 4, size: 3, kind: 'uint', reserved: true },
      { key: 'deviceNumber', name: 'Device Number', offset: 7, size: 1, kind: 'uint', radix: 10, doc: 'Enumeration ID of namespace-device scopes' },
    ]),
  },
  {
    type: STRUCT_TYPE.SATC,
    abbrev: 'SATC',
    title: 'SoC Integrated Address Translation Cache',
    body: SCOPES_BODY,
    acpicaSince: 20220331,
    identity: [['segment', 'segment']],
    // SoC endpoints
    scopeTypes: [SCOPE_TYPE.ENDPOINT],
    fields: rows([
      {
        key: 'flags',
        name: 'Flags',
        offset: 4,
        size: 1,
        kind: 'uint',
        bits: [{ name: 'ATC_REQUIRED', shift: 0, doc: 'the OS must enable the ATC of these devices' }],
      },
      { key: 'reserved', name: 'Reserved', offset: 5, size: 1, kind: 'uint', reserved: true },
      SEGMENT(6),
    ]),
  },
  {
    type: STRUCT_TYPE.SIDP,
    abbrev: 'SIDP',
    title: 'SoC Integrated Device Property',
    body: SCOPES_BODY,
    acpicaSince: 20250404,
    identity: [['segment', 'segment']],
    // SoC endpoints and namespace devices
    scopeTypes: [SCOPE_TYPE.ENDPOINT, SCOPE_TYPE.NAMESPACE],
    scopeFlagsNamed: true,
    fields: rows([{ key: 'reserved', name: 'Reserved', offset: 4, size: 2, kind: 'uint', reserved: true }, SEGMENT(6)]),
  },
  {
    type: VIRT_DESCRIPTOR_TYPE,
    abbrev: 'VIRT',
    title: 'Virtualization Descriptor (proposed)',
    body: NO_BODY,
    identity: [],
    proposed: true,
    exactLength: 32,
    fields: rows([
      { key: 'revision', name: 'Revision', offset: 4, size: 1, kind: 'uint', doc: '1' },
      {
        key: 'flags',
        name: 'Flags',
        offset: 5,
        size: 1,
        kind: 'uint',
        bits: [{ name: 'VIRTUALIZED', shift: 0, doc: '1: the OS runs in a virtual machine; 0: firmware asserts bare metal' }],
      },
      { key: 'reserved', name: 'Reserved', offset: 6, size: 2, kind: 'uint', reserved: true },
      { key: 'hypervisorSignature', name: 'Hypervisor Signature', offset: 8, size: 12, kind: 'ascii', doc: 'CPUID 0x40000000 vendor string' },
      { key: 'reserved2', name: 'Reserved', offset: 20, size: 4, kind: 'uint', reserved: true },
      {
        key: 'supportedFeatures',
        name: 'Supported Features',
        offset: 24,
        size: 8,
        kind: 'uint',
        bits: [
          { name: 'IMS', shift: 0, cli: 'ims', doc: 'the hypervisor composes IMS messages through a paravirtual call' },
          { name: 'MSI_COMPOSE', shift: 1, cli: 'msi-compose', doc: 'the same call composes MSI/MSI-X messages of assigned devices' },
          { name: 'REMAPPABLE_DIRECT', shift: 2, cli: 'remappable-direct', doc: 'devices may write Remappable Format MSI messages directly' },
        ],
      },
    ]),
  },
] as const satisfies readonly StructRows[];

export const STRUCTS: readonly StructDef[] = STRUCT_ROWS.map((s) => ({ ...s, fixedSize: rowsEnd(s.fields) }));

/** What each structure says of itself must hold: a wrong row name fails here, when the module loads. */
for (const d of STRUCTS) {
  for (const [key] of d.identity) fieldByKey(d.fields, key);
  if ((d.scopeTypes !== undefined) !== (d.body === SCOPES_BODY)) throw new Error(`schema: ${d.abbrev} scope types without device scopes, or the reverse`);
}

type Declared = (typeof STRUCT_ROWS)[number];
export type StructAbbrev = Declared['abbrev'];
/**
 * Each structure's description by its abbreviation: the one lookup of a row
 * set by name. Its rows keep their declared keys, so `fieldByKey(DEFS.VIRT.fields, 'flags')`
 * is checked when it compiles.
 */
export const DEFS = Object.fromEntries(STRUCTS.map((d) => [d.abbrev, d])) as {
  readonly [D in Declared as D['abbrev']]: StructDef & { readonly fields: D['fields'] } & Pick<D, Extract<keyof D, 'exactLength'>>;
};
for (const k of ['DRHD', 'RMRR', 'ATSR', 'RHSA', 'ANDD', 'SATC', 'SIDP', 'VIRT'] satisfies StructAbbrev[]) {
  if (!DEFS[k]) throw new Error(`schema: no structure ${k}`);
}

/** The keys of one row set of a structure (distributes over the structures). */
type StructFieldKey<D> = D extends { readonly fields: infer F extends readonly FieldDef[] } ? KeyOf<F> : never;

/**
 * Every field key a DMAR row set declares (ACPI header, DMAR fixed part, structure
 * headers and fixed parts, device scopes, path entries): the model's readers
 * (`num(s.fields, 'flags')`) take only these, so a misspelt key fails to compile.
 */
export type FieldKey =
  | KeyOf<typeof ACPI_HEADER_FIELDS>
  | KeyOf<typeof DMAR_FIELDS>
  | KeyOf<typeof SUBTABLE_HEADER_FIELDS>
  | StructFieldKey<Declared>
  | KeyOf<typeof SCOPE_FIELDS>
  | KeyOf<typeof PATH_FIELDS>;

/** Structures that list devices of a segment that a DRHD of that segment must cover: every scope list but the DRHD's own. */
export const SEGMENT_DEVICE_TYPES: readonly number[] = STRUCTS.filter((d) => d.scopeTypes && d.type !== STRUCT_TYPE.DRHD).map((d) => d.type);

export const VIRT_REVISION = 1;
/** The descriptor's one allowed Length (32). */
export const VIRT_LENGTH: number = DEFS.VIRT.exactLength;

/** The descriptor's rows and its VIRTUALIZED bit: the one lookup of them. */
export const VIRT_ROWS = {
  revision: fieldByKey(DEFS.VIRT.fields, 'revision'),
  flags: fieldByKey(DEFS.VIRT.fields, 'flags'),
  signature: fieldByKey(DEFS.VIRT.fields, 'hypervisorSignature'),
  features: fieldByKey(DEFS.VIRT.fields, 'supportedFeatures'),
} as const;
export const VIRTUALIZED_BIT = bitByKey(VIRT_ROWS.flags, 'VIRTUALIZED');

const INCLUDE_PCI_ALL_BIT = bitByKey(fieldByKey(DEFS.DRHD.fields, 'flags'), 'INCLUDE_PCI_ALL');

/** A DRHD's Flags say INCLUDE_PCI_ALL: the unit covers every device of its segment that no other unit names. */
export function includePciAll(drhd: { fields: Fields }): boolean {
  return bitValue(num(drhd.fields, 'flags'), INCLUDE_PCI_ALL_BIT) === 1;
}

const ALL_PORTS_BIT = bitByKey(fieldByKey(DEFS.ATSR.fields, 'flags'), 'ALL_PORTS');

/** An ATSR's Flags say ALL_PORTS: every root port of its segment supports ATS. */
export function atsrAllPorts(atsr: { fields: Fields }): boolean {
  return bitValue(num(atsr.fields, 'flags'), ALL_PORTS_BIT) === 1;
}

/** The descriptor's Flags say VIRTUALIZED (a virtual machine), not bare metal. */
export function descriptorVirtualized(flags: number | bigint): boolean {
  return bitValue(flags, VIRTUALIZED_BIT) === 1;
}

/**
 * The one bare-metal test of the descriptor: what a descriptor that says bare
 * metal (VIRTUALIZED=0) carries that means nothing there, its Hypervisor
 * Signature (a string, or its bytes) and its Supported Features when not zero.
 * None for a descriptor that says VIRTUALIZED.
 */
export function bareMetalClaims(d: { flags: number | bigint; signature: string | Uint8Array; features: bigint }): ('signature' | 'features')[] {
  if (descriptorVirtualized(d.flags)) return [];
  const out: ('signature' | 'features')[] = [];
  if (typeof d.signature === 'string' ? d.signature !== '' : d.signature.some((b) => b !== 0)) out.push('signature');
  if (d.features !== 0n) out.push('features');
  return out;
}

/** CLI names of a field's bits (BitDef.cli), to the bit's key. */
type BitKeyOf<R> = R extends Row<infer B> ? B : never;
function cliNames<R extends Row<string>>(f: R): Readonly<Record<string, BitKeyOf<R>>> {
  return Object.fromEntries(
    (f.bits ?? []).filter((b): b is BitDef & { cli: string } => b.cli !== undefined).map((b) => [b.cli, (b.key ?? b.name) as BitKeyOf<R>]),
  );
}
const DMAR_FLAGS_ROW = fieldByKey(DMAR_FIELDS, 'flags');
/** The key of a DMAR Flags bit (`IMS_OPTOUT`). */
export type DmarFlagKey = typeof DMAR_FLAGS_ROW extends Row<infer B> ? B : never;
/** CLI names of the descriptor's feature bits. */
export const VIRT_FEATURE_CLI = cliNames(VIRT_ROWS.features);
/** CLI names of the DMAR Flags bits. */
export const DMAR_FLAG_CLI = cliNames(DMAR_FLAGS_ROW);

/** How a typed flag or feature name is compared: any case, `_` and `-` alike (`IMS_OPTOUT`, `ims-optout`, `Ims_OptOut`). */
const nameKey = (s: string): string => s.trim().toLowerCase().replace(/_/g, '-');

/**
 * A lookup from every accepted spelling of a name, the CLI name and the bit
 * name as displayed, to the bit's key. A Map, so no name typed by a user
 * reaches an object's prototype (`constructor`, `toString`).
 */
function nameLookup<B extends string>(cli: Readonly<Record<string, B>>): (typed: string) => B | undefined {
  const m = new Map<string, B>();
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
/** A structure type as labels name it: its abbreviation (DRHD), or `type 9` for a reserved one. */
export function typeLabel(type: number): string {
  if (type < 0) return 'structure';
  return structDef(type)?.abbrev ?? `type ${type >= 0x100 ? hex(type) : type}`;
}

/**
 * "DRHD #2" is the table's second DRHD: the one numbering of structures in every
 * output (decode text and hex, validate findings, diff, encode and iasl source
 * errors), 1-based and per type. The labeller names structures in table order.
 */
export function structureLabeller(): (type: number) => string {
  const seen = new Map<number, number>();
  return (type) => {
    const n = (seen.get(type) ?? 0) + 1;
    seen.set(type, n);
    return `${typeLabel(type)} #${n}`;
  };
}

/** The label of each structure, in table order. */
export function structureLabels(structures: readonly { type: number }[]): string[] {
  const next = structureLabeller();
  return structures.map((s) => next(s.type));
}

export function structDefByAbbrev(abbrev: string): StructDef | undefined {
  return BY_ABBREV.get(abbrev.toUpperCase());
}

/** A type's title: ACPICA's for the types it knows (the iasl writer prints its own "Unknown Subtable Type" for the others); "Reserved" for a type no specification or proposal defines. */
export function structTitle(type: number): string {
  return structDef(type)?.title ?? 'Reserved';
}
