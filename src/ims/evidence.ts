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
import {
  bareMetalClaims,
  DMAR_FIELDS,
  type DmarFlagKey,
  descriptorVirtualized,
  fieldByKey,
  VIRT_DESCRIPTOR_TYPE,
  VIRT_LENGTH,
  VIRT_REVISION,
  VIRT_ROWS,
  VIRTUALIZED_BIT,
} from '../dmar/schema.js';
import { LINUX_SAYS, linuxRejection, parsedDrhd, registerSetsClash } from '../dmar/linux-rejects.js';
import { matchDmi } from './dmi.js';
import { signal, SIGNALS, type SignalName, type Strength } from './signals.js';
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
  /** For a machine signal: how strong it is (signals.ts). */
  strength?: Strength;
  /** For a machine signal: how it is faked or hidden. */
  spoof?: string;
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
  /** Linux rejects the table (or finds no unit in it): no IOMMU, no interrupt remapping; the source says why. */
  'dmar.linuxRejects': Fact;
  'flags.intrRemap': Fact;
  'flags.x2apicOptOut': Fact;
  'flags.imsOptOut': Fact;
  descriptor: Fact<DescriptorValue>;
  'cpu.tdx': Fact;
  'cpu.hypervisor': Fact;
  'smbios.virtualMachine': Fact;
  'dmi.hypervisorVendor': Fact;
  'iommu.cachingMode': Fact;
  'oem.virtualFirmware': Fact;
}

/** The facts above plus the two that proposals.md derives from them. */
export type FactName = keyof Evidence | 'virtEvidence' | 'bareMetalProven';

export const FACT_NAMES: readonly FactName[] = [
  'dmar.present',
  'dmar.linuxRejects',
  'flags.intrRemap',
  'flags.x2apicOptOut',
  'flags.imsOptOut',
  'descriptor',
  ...SIGNALS.map((x) => x.name),
  'virtEvidence',
  'bareMetalProven',
];

/** The signals of the machine itself (all but the table's OEM IDs): live, from a capture, or given on the command line. */
export type MachineSignal = Exclude<SignalName, 'oem.virtualFirmware'>;
export const MACHINE_SIGNALS: readonly MachineSignal[] = SIGNALS.map((x) => x.name).filter((n): n is MachineSignal => n !== 'oem.virtualFirmware');

export interface Gathered {
  evidence: Evidence;
  /** Oddities met while reading the evidence (they do not change it). */
  warnings: string[];
}

// ---- the table --------------------------------------------------------------

const FLAGS = fieldByKey(DMAR_FIELDS, 'flags');

function flagFact(table: DmarTable | undefined, name: DmarFlagKey, noTable: string): Fact {
  const b = bitByKey(FLAGS, name);
  const proposed = b.proposed === true ? { proposed: true } : {};
  if (!table) return { value: 'unknown', source: noTable, ...proposed };
  return {
    value: bitValue(num(table.fields, FLAGS.key), b) === 1,
    source: `DMAR ${FLAGS.name} bit ${b.shift} at offset ${hex(FLAGS.offset)}`,
    ...proposed,
  };
}

const { flags: VIRT_FLAGS, features: VIRT_FEATURES, signature: VIRT_SIGNATURE, revision: VIRT_REV } = VIRT_ROWS;
const VIRTUALIZED = VIRTUALIZED_BIT;

function readDescriptor(s: Structure): DescriptorFact {
  const featureBits = big(s.fields, VIRT_FEATURES.key);
  const features: Record<string, boolean> = {};
  for (const b of VIRT_FEATURES.bits ?? []) features[b.name] = bitValue(featureBits, b) === 1;
  return {
    offset: s.offset,
    virtualized: descriptorVirtualized(num(s.fields, VIRT_FLAGS.key)),
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
    warnings.push(
      `${found.length} virtualization descriptors (proposed) at offsets ${found.map((x) => hex(x.offset)).join(', ')}: at most one is allowed; only the first is read`,
    );
  }
  const d = readDescriptor(s);
  // longer than the proposal's 32 bytes (a shorter one has no fields to read): its fields are read, the rest is not
  if (s.length !== VIRT_LENGTH)
    warnings.push(
      `descriptor (proposed) at ${hex(s.offset)}: Length ${s.length}, the proposal's descriptor is ${VIRT_LENGTH} bytes; its first ${VIRT_LENGTH} read as such`,
    );
  const rev = num(s.fields, VIRT_REV.key);
  if (rev !== VIRT_REVISION)
    warnings.push(`descriptor (proposed) at ${hex(s.offset)}: Revision ${rev}, this tool knows revision ${VIRT_REVISION}; read as such`);
  if (d.unknownFeatures !== 0n) {
    warnings.push(
      `descriptor (proposed) at ${hex(s.offset)}: ${VIRT_FEATURES.name} sets bits ${hex(d.unknownFeatures)} that have no name: treated as not supported`,
    );
  }
  if (bareMetalClaims({ flags: num(s.fields, VIRT_FLAGS.key), signature: d.hypervisorSignature, features: big(s.fields, VIRT_FEATURES.key) }).length > 0) {
    warnings.push(
      `descriptor (proposed) at ${hex(s.offset)}: VIRTUALIZED=0 but it carries a hypervisor signature or feature bits; they mean nothing on bare metal and are ignored`,
    );
  }
  return {
    value: d,
    source:
      `structure ${typeName} at offset ${hex(s.offset)} (${VIRT_FLAGS.name} bit ${VIRTUALIZED.shift} at ${hex(s.offset + VIRT_FLAGS.offset)}, ` +
      `${VIRT_FEATURES.name} at ${hex(s.offset + VIRT_FEATURES.offset)})`,
    proposed: true,
  };
}

const OEM_ID = fieldByKey(ACPI_HEADER_FIELDS, 'oemId');
const OEM_TABLE_ID = fieldByKey(ACPI_HEADER_FIELDS, 'oemTableId');

function oemFact(table: DmarTable | undefined, noTable: string): Fact {
  if (!table) return withStrength('oem.virtualFirmware', { value: 'unknown', source: noTable });
  const id = str(table.header, OEM_ID.key);
  const tid = str(table.header, OEM_TABLE_ID.key);
  const hit = matchVirtualFirmware(id, tid);
  const where = `${OEM_ID.name} ${quoted(id)} at offset ${hex(OEM_ID.offset)}, ${OEM_TABLE_ID.name} ${quoted(tid)} at offset ${hex(OEM_TABLE_ID.offset)}`;
  return withStrength('oem.virtualFirmware', { value: hit !== undefined, source: `${where}: ${hit ? `written by ${hit.who}` : 'no known virtual firmware'}` });
}

/** A signal's fact carries its strength and how it is faked; a weak one is also marked weak. */
export function withStrength(name: SignalName, f: Fact): Fact {
  const sig = signal(name);
  return { ...f, ...(sig.strength === 'weak' ? { weak: true } : {}), strength: sig.strength, spoof: sig.spoof };
}

// ---- the machine ------------------------------------------------------------

/** What the command line says; undefined: not given. */
export interface CommandLineEvidence {
  tdx?: boolean;
  hypervisor?: boolean;
  smbiosVm?: boolean;
  /** `VENDOR[:PRODUCT]` as /sys/class/dmi/id/sys_vendor and product_name would say. */
  dmiVendor?: string;
  cachingMode?: boolean;
}

/** What the running machine (or a capture of one) says; src/ims/live.ts reads it. A signal left out is unknown. */
export type LiveEvidence = { [K in MachineSignal]?: Fact } & { warnings: string[] };

const NOT_GIVEN: Record<MachineSignal, string> = {
  'cpu.tdx': 'not given (--tdx on|off): a table file says nothing about the CPU',
  'cpu.hypervisor': 'not given (--hypervisor or --bare-metal): a table file says nothing about the CPU',
  'smbios.virtualMachine': 'not given (--smbios-vm on|off): the SMBIOS table is not in a DMAR file',
  'dmi.hypervisorVendor': 'not given (--dmi-vendor VENDOR[:PRODUCT]): DMI strings are not in a DMAR file',
  'iommu.cachingMode': 'not given (--caching-mode on|off): the capability register is not in the table',
};

function onOff(v: boolean): string {
  return v ? 'on' : 'off';
}

/** The command line's value of one signal, with the words that say where it came from. */
function fromCommandLine(name: MachineSignal, cli: CommandLineEvidence): Fact | undefined {
  switch (name) {
    case 'cpu.tdx':
      return cli.tdx === undefined ? undefined : { value: cli.tdx, source: `--tdx ${onOff(cli.tdx)}` };
    case 'cpu.hypervisor':
      return cli.hypervisor === undefined ? undefined : { value: cli.hypervisor, source: cli.hypervisor ? '--hypervisor' : '--bare-metal' };
    case 'smbios.virtualMachine':
      return cli.smbiosVm === undefined ? undefined : { value: cli.smbiosVm, source: `--smbios-vm ${onOff(cli.smbiosVm)}` };
    case 'iommu.cachingMode':
      return cli.cachingMode === undefined ? undefined : { value: cli.cachingMode, source: `--caching-mode ${onOff(cli.cachingMode)}` };
    case 'dmi.hypervisorVendor': {
      if (cli.dmiVendor === undefined) return undefined;
      const i = cli.dmiVendor.indexOf(':');
      const vendor = i < 0 ? cli.dmiVendor : cli.dmiVendor.slice(0, i);
      const product = i < 0 ? '' : cli.dmiVendor.slice(i + 1);
      const m = matchDmi({ sys_vendor: vendor, product_name: product });
      return {
        value: m !== undefined,
        source: `--dmi-vendor ${quoted(cli.dmiVendor)}: ${m ? `a vendor string of ${m.hit.who}` : 'no known hypervisor'}`,
      };
    }
  }
}

/** The command line overrides the machine; the source says what it overrode. */
function machineFact(name: MachineSignal, cli: CommandLineEvidence, live: LiveEvidence | undefined): Fact {
  const l = live?.[name];
  const c = fromCommandLine(name, cli);
  if (c) return withStrength(name, l && l.value !== 'unknown' ? { ...c, source: `${c.source} (overrides ${l.source}: ${String(l.value)})` } : c);
  return withStrength(name, l ?? { value: 'unknown', source: NOT_GIVEN[name] });
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
    'dmar.linuxRejects': linuxRejectsFact(t, noTable, warnings),
    'flags.intrRemap': flagFact(t, 'INTR_REMAP', noTable),
    'flags.x2apicOptOut': flagFact(t, 'X2APIC_OPT_OUT', noTable),
    'flags.imsOptOut': flagFact(t, 'IMS_OPTOUT', noTable),
    descriptor: descriptorFact(t, noTable, warnings),
    'cpu.tdx': machineFact('cpu.tdx', cli, input.live),
    'cpu.hypervisor': machineFact('cpu.hypervisor', cli, input.live),
    'smbios.virtualMachine': machineFact('smbios.virtualMachine', cli, input.live),
    'dmi.hypervisorVendor': machineFact('dmi.hypervisorVendor', cli, input.live),
    'iommu.cachingMode': machineFact('iommu.cachingMode', cli, input.live),
    'oem.virtualFirmware': oemFact(t, noTable),
  };
  return { evidence, warnings };
}

/** Whether Linux gives up on the table as a whole (dmar/linux-rejects.ts): then there is no IOMMU and no interrupt remapping. */
function linuxRejectsFact(t: DmarTable | undefined, noTable: string, warnings: string[]): Fact {
  if (!t) return { value: 'unknown', source: noTable };
  const r = linuxRejection(t);
  if (r?.rule === 'haw') {
    const w = r.hostAddressWidth;
    return { value: true, source: `Host Address Width ${w} at offset 0x24 (${w + 1} bits): "${LINUX_SAYS.haw}", Linux rejects the table` };
  }
  if (r?.rule === 'noDrhd') return { value: true, source: `no DRHD in the table: "${LINUX_SAYS.noDrhd}", no IOMMU unit` };
  if (r?.rule === 'drhdBaseZero')
    return { value: true, source: `DRHD at offset ${hex(r.drhd.offset)} has Register Base Address 0: "${LINUX_SAYS.drhdBaseZero}", Linux rejects the table` };
  if (r?.rule === 'registersClash')
    return {
      value: true,
      source: `DRHDs at offsets ${hex(r.earlier.offset)} and ${hex(r.later.offset)} have register bases ${hex(big(r.earlier.fields, 'registerBaseAddress'))} and ${hex(big(r.later.fields, 'registerBaseAddress'))}, within 4 KiB: "${LINUX_SAYS.registersBusy}", "${LINUX_SAYS.parseFailed}", Linux rejects the table`,
    };
  const drhds = t.structures.filter(parsedDrhd);
  const n = drhds.length;
  // the kernels of linux-6.2 (6.2 to 6.9) disagree: 6.3 and later reserve each unit's 2^Size pages whole
  const sets = registerSetsClash(drhds);
  if (sets) {
    const [a, b] = sets;
    const what = `DRHDs at offsets ${hex(a.offset)} and ${hex(b.offset)} (register bases ${hex(big(a.fields, 'registerBaseAddress'))} and ${hex(big(b.fields, 'registerBaseAddress'))}) overlap in the register sets their Size fields give (2^Size pages)`;
    warnings.push(
      `${what}: Linux 6.3 and later reserve the sets whole and reject the table ("${LINUX_SAYS.registersBusy}", "${LINUX_SAYS.parseFailed}"): no IOMMU, no interrupt remapping, no IMS; Linux 6.2 accepts it, as dmar.linuxRejects says`,
    );
    return {
      value: false,
      source: `Host Address Width ${num(t.fields, 'hostAddressWidth')}, ${n} DRHDs, none at address 0, no two on one register page: Linux 6.2 accepts the table (${what}: Linux 6.3 and later reject it)`,
    };
  }
  return {
    value: false,
    source: `Host Address Width ${num(t.fields, 'hostAddressWidth')}, ${n} DRHD${n === 1 ? '' : 's'}, none at address 0, no two on one register page: Linux accepts the table`,
  };
}

// ---- derived facts (proposals.md: virtEvidence, bareMetalProven) ----------

export function descriptorOf(ev: Evidence): DescriptorFact | undefined {
  const v = ev.descriptor.value;
  return v === 'absent' ? undefined : v;
}

/** The facts that make virtEvidence true (empty: it is false): every signal, strong or weak, that says "virtual machine". */
export function virtEvidenceFrom(ev: Evidence): FactName[] {
  return SIGNALS.map((x) => x.name).filter((n) => ev[n].value === true);
}

export function virtEvidence(ev: Evidence): boolean {
  return virtEvidenceFrom(ev).length > 0;
}

/**
 * Bare metal is proven by the descriptor (VIRTUALIZED=0) or by the CPUID
 * hypervisor bit known clear, and in both cases by no signal saying otherwise.
 * A weak signal can only veto, never prove (proposals.md "Evidence strength").
 */
export function bareMetalProven(ev: Evidence): boolean {
  if (virtEvidence(ev)) return false;
  const d = descriptorOf(ev);
  return (d !== undefined && !d.virtualized) || ev['cpu.hypervisor'].value === false;
}

/** Why bareMetalProven has the value it has, in one clause. */
export function bareMetalWhy(ev: Evidence): string {
  const d = descriptorOf(ev);
  const virt = virtEvidenceFrom(ev);
  if (d && !d.virtualized && virt.length === 0) return 'the descriptor says VIRTUALIZED=0 and nothing says otherwise';
  const cpu = ev['cpu.hypervisor'].value;
  if (cpu === false && virt.length === 0) {
    const rest = SIGNALS.filter((x) => x.name !== 'cpu.hypervisor')
      .map((x) => `${x.name} ${String(ev[x.name].value)}`)
      .join(', ');
    return `cpu.hypervisor is false and no other signal is true (${rest})`;
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
      source: from.length ? `${from.join(', ')} ${from.length === 1 ? 'is' : 'are'} true` : `none of ${SIGNALS.map((x) => x.name).join(', ')} is true`,
      derived: true,
    },
    bareMetalProven: { value: bareMetalProven(ev), source: bareMetalWhy(ev), derived: true },
  };
}

export function fact(ev: Evidence, name: FactName): Fact<unknown> {
  if (name === 'virtEvidence' || name === 'bareMetalProven') return derivedFacts(ev)[name];
  return ev[name];
}
