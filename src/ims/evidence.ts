/**
 * What the OS can know when it decides how to use IMS (proposals.md section 3,
 * "Evidence"), gathered from the table, the command line and the live
 * system. Policies only ever see the Evidence object: they never read a
 * table, a file or an option themselves.
 */
import { quoted } from '../acpi/escape.js';
import { bitByKey, bitValue, namedMask } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS } from '../acpi/header.js';
import { hex } from '../acpi/hex.js';
import { big, num, str, type DmarTable, type Structure } from '../dmar/model.js';
import { DMAR_FIELDS, fieldByKey, structDef, VIRT_DESCRIPTOR_TYPE, VIRT_REVISION } from '../dmar/schema.js';
import { matchVirtualFirmware } from './virtual-firmware.js';

/** A fact is known true, known false, or unknown; unknown is never proof of anything. */
export type Tri = boolean | 'unknown';

export interface Fact<T = Tri> {
  value: T;
  /** Where the value came from, in words a person can check (a table offset, an option, a file). */
  source: string;
  /** Rests on a part of the table that no specification defines yet (proposals.md). */
  proposed?: boolean;
  /** Weak evidence: a hint, not a statement. */
  weak?: boolean;
  /** Computed from other facts. */
  derived?: boolean;
}

/** The virtualization descriptor (structure type 0x8001, proposed) as read from the table. */
export interface DescriptorFact {
  /** Offset of the structure in the table. */
  offset: number;
  virtualized: boolean;
  hypervisorSignature: string;
  /** Each named Supported Features bit, by its schema name (IMS, MSI_COMPOSE, ...). */
  features: Record<string, boolean>;
  /** Supported Features bits that have no name: a consumer treats them as not supported. */
  unknownFeatures: bigint;
}

export type DescriptorValue = DescriptorFact | 'absent';

export interface Evidence {
  'dmar.present': Fact<boolean>;
  'flags.intrRemap': Fact;
  'flags.x2apicOptOut': Fact;
  'flags.imsOptOut': Fact;
  descriptor: Fact<DescriptorValue>;
  'cpu.hypervisor': Fact;
  'iommu.cachingMode': Fact;
  'oem.virtualFirmware': Fact;
}

/** The facts above plus the two that proposals.md derives from them. */
export type FactName = keyof Evidence | 'virtEvidence' | 'bareMetalProven';

export const FACT_NAMES: readonly FactName[] = [
  'dmar.present', 'flags.intrRemap', 'flags.x2apicOptOut', 'flags.imsOptOut', 'descriptor',
  'cpu.hypervisor', 'iommu.cachingMode', 'oem.virtualFirmware', 'virtEvidence', 'bareMetalProven',
];

export interface Gathered {
  evidence: Evidence;
  /** Oddities met while reading the evidence (they do not change it). */
  warnings: string[];
}

// ---- the table --------------------------------------------------------------

const FLAGS = fieldByKey(DMAR_FIELDS, 'flags');

function flagFact(table: DmarTable | undefined, name: string, noTable: string): Fact {
  const b = bitByKey(FLAGS, name);
  const proposed = b.proposed === true ? { proposed: true } : {};
  if (!table) return { value: 'unknown', source: noTable, ...proposed };
  return {
    value: bitValue(num(table.fields, FLAGS.key), b) === 1,
    source: `DMAR ${FLAGS.name} bit ${b.shift} at offset ${hex(FLAGS.offset)}`,
    ...proposed,
  };
}

const VIRT = structDef(VIRT_DESCRIPTOR_TYPE)!;
const VIRT_FLAGS = fieldByKey(VIRT.fields, 'flags');
const VIRT_FEATURES = fieldByKey(VIRT.fields, 'supportedFeatures');
const VIRT_SIGNATURE = fieldByKey(VIRT.fields, 'hypervisorSignature');
const VIRT_REV = fieldByKey(VIRT.fields, 'revision');
const VIRTUALIZED = bitByKey(VIRT_FLAGS, 'VIRTUALIZED');

function readDescriptor(s: Structure): DescriptorFact {
  const featureBits = big(s.fields, VIRT_FEATURES.key);
  const features: Record<string, boolean> = {};
  for (const b of VIRT_FEATURES.bits ?? []) features[b.name] = bitValue(featureBits, b) === 1;
  return {
    offset: s.offset,
    virtualized: bitValue(num(s.fields, VIRT_FLAGS.key), VIRTUALIZED) === 1,
    hypervisorSignature: str(s.fields, VIRT_SIGNATURE.key),
    features,
    unknownFeatures: featureBits & ~namedMask(VIRT_FEATURES),
  };
}

function descriptorFact(table: DmarTable | undefined, noTable: string, warnings: string[]): Fact<DescriptorValue> {
  const typeName = `type ${hex(VIRT_DESCRIPTOR_TYPE)}`;
  if (!table) return { value: 'absent', source: noTable, proposed: true };
  // A descriptor the decoder could not lay out (raw) has no fields to read; strict decoding rejects it before here.
  const found = table.structures.filter((s) => s.type === VIRT_DESCRIPTOR_TYPE && !s.raw);
  if (found.length === 0) {
    const n = table.structures.length;
    return { value: 'absent', source: `no structure of ${typeName} among the table's ${n} structure${n === 1 ? '' : 's'}`, proposed: true };
  }
  const s = found[0]!;
  if (found.length > 1) {
    warnings.push(`${found.length} virtualization descriptors (proposed) at offsets ${found.map((x) => hex(x.offset)).join(', ')}: at most one is allowed; only the first is read`);
  }
  const d = readDescriptor(s);
  const rev = num(s.fields, VIRT_REV.key);
  if (rev !== VIRT_REVISION) warnings.push(`descriptor (proposed) at ${hex(s.offset)}: Revision ${rev}, this tool knows revision ${VIRT_REVISION}; read as such`);
  if (d.unknownFeatures !== 0n) {
    warnings.push(`descriptor (proposed) at ${hex(s.offset)}: ${VIRT_FEATURES.name} sets bits ${hex(d.unknownFeatures)} that have no name: treated as not supported`);
  }
  if (!d.virtualized && (d.hypervisorSignature !== '' || Object.values(d.features).some(Boolean) || d.unknownFeatures !== 0n)) {
    warnings.push(`descriptor (proposed) at ${hex(s.offset)}: VIRTUALIZED=0 but it carries a hypervisor signature or feature bits; they mean nothing on bare metal and are ignored`);
  }
  return {
    value: d,
    source: `structure ${typeName} at offset ${hex(s.offset)} (${VIRT_FLAGS.name} bit ${VIRTUALIZED.shift} at ${hex(s.offset + VIRT_FLAGS.offset)}, `
      + `${VIRT_FEATURES.name} at ${hex(s.offset + VIRT_FEATURES.offset)})`,
    proposed: true,
  };
}

const OEM_ID = fieldByKey(ACPI_HEADER_FIELDS, 'oemId');
const OEM_TABLE_ID = fieldByKey(ACPI_HEADER_FIELDS, 'oemTableId');

function oemFact(table: DmarTable | undefined, noTable: string): Fact {
  if (!table) return { value: 'unknown', source: noTable, weak: true };
  const id = str(table.header, OEM_ID.key);
  const tid = str(table.header, OEM_TABLE_ID.key);
  const hit = matchVirtualFirmware(id, tid);
  const where = `${OEM_ID.name} ${quoted(id)} at offset ${hex(OEM_ID.offset)}, ${OEM_TABLE_ID.name} ${quoted(tid)} at offset ${hex(OEM_TABLE_ID.offset)}`;
  return { value: hit !== undefined, source: `${where}: ${hit ? `written by ${hit.who}` : 'no known virtual firmware'}`, weak: true };
}

// ---- the CPU and the IOMMU -------------------------------------------------

/** What the command line says; undefined: not given. */
export interface CommandLineEvidence {
  hypervisor?: boolean;
  cachingMode?: boolean;
}

/** What the running machine says (src/ims/live.ts reads it). */
export interface LiveEvidence {
  'cpu.hypervisor': Fact;
  'iommu.cachingMode': Fact;
  warnings: string[];
}

function cpuFact(cli: CommandLineEvidence, live: LiveEvidence | undefined): Fact {
  const l = live?.['cpu.hypervisor'];
  if (cli.hypervisor !== undefined) {
    const opt = cli.hypervisor ? '--hypervisor' : '--bare-metal';
    return { value: cli.hypervisor, source: l && l.value !== 'unknown' ? `${opt} (overrides ${l.source}: ${l.value})` : opt };
  }
  return l ?? { value: 'unknown', source: 'not given (--hypervisor or --bare-metal): a table file says nothing about the CPU' };
}

function cachingModeFact(cli: CommandLineEvidence, live: LiveEvidence | undefined): Fact {
  const l = live?.['iommu.cachingMode'];
  if (cli.cachingMode !== undefined) {
    const opt = `--caching-mode ${cli.cachingMode ? 'on' : 'off'}`;
    return { value: cli.cachingMode, source: l && l.value !== 'unknown' ? `${opt} (overrides ${l.source}: ${l.value})` : opt };
  }
  return l ?? { value: 'unknown', source: 'not given (--caching-mode on|off): the capability register is not in the table' };
}

// ---- all of it ---------------------------------------------------------------

export interface GatherInput {
  /** The decoded table; undefined when there is none (a machine without DMAR). */
  table?: DmarTable;
  /** Where the table came from (a file name, stdin, the sysfs path), or why there is none. */
  tableSource: string;
  /** Evidence of the running machine, only when its own table is decoded. */
  live?: LiveEvidence;
  /** Command-line evidence; it overrides live evidence. */
  cli?: CommandLineEvidence;
}

export function gatherEvidence(input: GatherInput): Gathered {
  const warnings: string[] = [...(input.live?.warnings ?? [])];
  const t = input.table;
  const noTable = `no DMAR table (${input.tableSource})`;
  const cli = input.cli ?? {};
  const evidence: Evidence = {
    'dmar.present': { value: t !== undefined, source: t ? `table read from ${input.tableSource}` : input.tableSource },
    'flags.intrRemap': flagFact(t, 'INTR_REMAP', noTable),
    'flags.x2apicOptOut': flagFact(t, 'X2APIC_OPT_OUT', noTable),
    'flags.imsOptOut': flagFact(t, 'IMS_OPTOUT', noTable),
    descriptor: descriptorFact(t, noTable, warnings),
    'cpu.hypervisor': cpuFact(cli, input.live),
    'iommu.cachingMode': cachingModeFact(cli, input.live),
    'oem.virtualFirmware': oemFact(t, noTable),
  };
  return { evidence, warnings };
}

// ---- derived facts (proposals.md: virtEvidence, bareMetalProven) ----------

export function descriptorOf(ev: Evidence): DescriptorFact | undefined {
  const v = ev.descriptor.value;
  return v === 'absent' ? undefined : v;
}

/** The facts that make virtEvidence true (empty: it is false). */
export function virtEvidenceFrom(ev: Evidence): FactName[] {
  const out: FactName[] = [];
  if (ev['cpu.hypervisor'].value === true) out.push('cpu.hypervisor');
  if (ev['iommu.cachingMode'].value === true) out.push('iommu.cachingMode');
  if (ev['oem.virtualFirmware'].value === true) out.push('oem.virtualFirmware');
  return out;
}

export function virtEvidence(ev: Evidence): boolean {
  return virtEvidenceFrom(ev).length > 0;
}

export function bareMetalProven(ev: Evidence): boolean {
  const d = descriptorOf(ev);
  if (d && !d.virtualized && !virtEvidence(ev)) return true;
  return ev['cpu.hypervisor'].value === false && ev['iommu.cachingMode'].value !== true && ev['oem.virtualFirmware'].value !== true;
}

/** Why bareMetalProven has the value it has, in one clause. */
export function bareMetalWhy(ev: Evidence): string {
  const d = descriptorOf(ev);
  const virt = virtEvidenceFrom(ev);
  if (d && !d.virtualized && virt.length === 0) return 'the descriptor says VIRTUALIZED=0 and nothing says otherwise';
  const cpu = ev['cpu.hypervisor'].value;
  if (cpu === false && virt.length === 0) {
    return `cpu.hypervisor is false and iommu.cachingMode is ${ev['iommu.cachingMode'].value} (not true), oem.virtualFirmware is ${ev['oem.virtualFirmware'].value}`;
  }
  const why: string[] = [];
  if (cpu === 'unknown') why.push('cpu.hypervisor is unknown (unknown is not proof)');
  for (const f of virt) why.push(`${f} is true`);
  if (d && !d.virtualized) why.unshift('the descriptor says VIRTUALIZED=0 but contradicting evidence exists');
  else if (!d) why.unshift('no descriptor says VIRTUALIZED=0');
  else why.unshift('the descriptor says VIRTUALIZED=1');
  return why.join('; ');
}

/** The two derived facts, with the facts they came from as their source. */
export function derivedFacts(ev: Evidence): { virtEvidence: Fact<boolean>; bareMetalProven: Fact<boolean> } {
  const from = virtEvidenceFrom(ev);
  return {
    virtEvidence: {
      value: from.length > 0,
      source: from.length ? `${from.join(', ')} ${from.length === 1 ? 'is' : 'are'} true`
        : 'none of cpu.hypervisor, iommu.cachingMode, oem.virtualFirmware is true',
      derived: true,
    },
    bareMetalProven: { value: bareMetalProven(ev), source: bareMetalWhy(ev), derived: true },
  };
}

export function fact(ev: Evidence, name: FactName): Fact<unknown> {
  if (name === 'virtEvidence' || name === 'bareMetalProven') return derivedFacts(ev)[name];
  return ev[name];
}
