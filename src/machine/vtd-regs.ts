/**
 * The VT-d remapping unit's Capability (CAP_REG, offset 0x08) and Extended
 * Capability (ECAP_REG, offset 0x10) registers, and the fault reasons a unit
 * records, described once as data: every field with its bit range, and what
 * its value means. `dmar explain` decodes the `dmarN: ... cap X ecap Y` lines
 * of a kernel log with it; the machine checks decode
 * /sys/class/iommu/dmarN/intel-iommu/{cap,ecap} with it.
 *
 * Bit positions: Intel VT-d specification sections 11.4.2 and 11.4.3, checked
 * against Linux drivers/iommu/intel/iommu.h (the cap_* and ecap_* macros; a
 * field's `linux` names the macro) and EDK2 IntelSiliconPkg
 * IndustryStandard/Vtd.h (VTD_CAP_REG, VTD_ECAP_REG: ADMS bit 52, RPRIVS bit 53).
 * Fields the current specification marks deprecated or reserved but older
 * revisions (or Linux) still name are kept, tagged `deprecated`.
 */
import type { BitDef } from '../acpi/fields.js';
import { hex } from '../acpi/hex.js';

/** One field of CAP_REG or ECAP_REG (a BitDef of a 64-bit register). */
export interface RegField extends BitDef {
  /** JSON key (camelCase). */
  readonly key: string;
  /** The Linux macro that reads it (drivers/iommu/intel/iommu.h), when there is one. */
  readonly linux?: string;
  /** The key of the flag this field means nothing without (PSS without PASID): its value is then told as unused. */
  readonly unusedUnless?: string;
  /** Reserved or deprecated in the current specification; named by an older revision or by Linux. */
  readonly deprecated?: boolean;
}

/** The number a field encodes, in the unit people read it in. */
const plusOne = (v: number) => `${v + 1}`;

/** SAGAW bits: which page-table depths (adjusted guest address widths) second-level translation supports. */
export const SAGAW_WIDTHS: Readonly<Record<number, string>> = {
  0: '30-bit (2-level, deprecated)',
  1: '39-bit (3-level)',
  2: '48-bit (4-level)',
  3: '57-bit (5-level)',
  4: '64-bit (6-level, reserved)',
};

/** SLLPS bits: second-level large page sizes. */
const SLLPS_SIZES: Readonly<Record<number, string>> = { 0: '2 MiB', 1: '1 GiB', 2: '512 GiB (reserved)', 3: '1 TiB (reserved)' };

function bitList(v: number, names: Readonly<Record<number, string>>): string {
  const out: string[] = [];
  for (let b = 0; b < 8; b++) if (v & (1 << b)) out.push(names[b] ?? `bit ${b}`);
  return out.length ? out.join(', ') : 'none';
}

/** Capability Register (VT-d 11.4.2), low bit first. */
export const CAP_FIELDS: readonly RegField[] = [
  { key: 'nd', name: 'ND', shift: 0, width: 3, linux: 'cap_ndoms', doc: 'Number of domains supported', note: (v) => `${2 ** (4 + 2 * v)} domains` },
  { key: 'afl', name: 'AFL', shift: 3, linux: 'cap_afl', doc: 'Advanced Fault Logging' },
  { key: 'rwbf', name: 'RWBF', shift: 4, linux: 'cap_rwbf', doc: 'Required Write-Buffer Flushing' },
  { key: 'plmr', name: 'PLMR', shift: 5, linux: 'cap_plmr', doc: 'Protected Low-Memory Region' },
  { key: 'phmr', name: 'PHMR', shift: 6, linux: 'cap_phmr', doc: 'Protected High-Memory Region' },
  {
    key: 'cm',
    name: 'CM',
    shift: 7,
    linux: 'cap_caching_mode',
    doc: 'Caching Mode: not-present entries may be cached (set by virtual IOMMUs: QEMU, VMware, Hyper-V)',
  },
  {
    key: 'sagaw',
    name: 'SAGAW',
    shift: 8,
    width: 5,
    linux: 'cap_sagaw',
    doc: 'Supported Adjusted Guest Address Widths',
    note: (v) => bitList(v, SAGAW_WIDTHS),
  },
  { key: 'mgaw', name: 'MGAW', shift: 16, width: 6, linux: 'cap_mgaw', doc: 'Maximum Guest Address Width (value + 1 bits)', note: (v) => `${v + 1} bits` },
  { key: 'zlr', name: 'ZLR', shift: 22, linux: 'cap_zlr', doc: 'Zero Length Read' },
  { key: 'isoch', name: 'ISOCH', shift: 23, linux: 'cap_isoch', deprecated: true, doc: 'Isochrony (VT-d 1.x; reserved since)' },
  {
    key: 'fro',
    name: 'FRO',
    shift: 24,
    width: 10,
    linux: 'cap_fault_reg_offset',
    doc: 'Fault-recording Register Offset (x 16 bytes)',
    note: (v) => `registers at +${hex(v * 16)}`,
  },
  {
    key: 'sllps',
    name: 'SLLPS',
    shift: 34,
    width: 4,
    linux: 'cap_super_page_val',
    doc: 'Second Level Large Page Support',
    note: (v) => bitList(v, SLLPS_SIZES),
  },
  { key: 'psi', name: 'PSI', shift: 39, linux: 'cap_pgsel_inv', doc: 'Page Selective Invalidation' },
  { key: 'nfr', name: 'NFR', shift: 40, width: 8, linux: 'cap_num_fault_regs', doc: 'Number of Fault-recording Registers (value + 1)', note: plusOne },
  { key: 'mamv', name: 'MAMV', shift: 48, width: 6, linux: 'cap_max_amask_val', doc: 'Maximum Address Mask Value' },
  { key: 'dwd', name: 'DWD', shift: 54, linux: 'cap_write_drain', doc: 'Write Draining' },
  { key: 'drd', name: 'DRD', shift: 55, linux: 'cap_read_drain', doc: 'Read Draining' },
  { key: 'fl1gp', name: 'FL1GP', shift: 56, linux: 'cap_fl1gp_support', doc: 'First Level 1-GByte Page Support' },
  { key: 'pi', name: 'PI', shift: 59, linux: 'cap_pi_support', doc: 'Posted Interrupts Support' },
  { key: 'fl5lp', name: 'FL5LP', shift: 60, linux: 'cap_fl5lp_support', doc: 'First Level 5-level Paging Support' },
  { key: 'ecmds', name: 'ECMDS', shift: 61, linux: 'cap_ecmds', doc: 'Enhanced Command Support' },
  { key: 'esirtps', name: 'ESIRTPS', shift: 62, linux: 'cap_esirtps', doc: 'Enhanced Set Interrupt Remap Table Pointer Support' },
  { key: 'esrtps', name: 'ESRTPS', shift: 63, linux: 'cap_esrtps', doc: 'Enhanced Set Root Table Pointer Support' },
];

/** Extended Capability Register (VT-d 11.4.3), low bit first. */
export const ECAP_FIELDS: readonly RegField[] = [
  { key: 'c', name: 'C', shift: 0, linux: 'ecap_coherent', doc: 'Page-walk Coherency' },
  { key: 'qi', name: 'QI', shift: 1, linux: 'ecap_qis', doc: 'Queued Invalidation support (required for interrupt remapping)' },
  { key: 'dt', name: 'DT', shift: 2, linux: 'ecap_dev_iotlb_support', doc: 'Device-TLB support (ATS)' },
  { key: 'ir', name: 'IR', shift: 3, linux: 'ecap_ir_support', doc: 'Interrupt Remapping support' },
  { key: 'eim', name: 'EIM', shift: 4, linux: 'ecap_eim_support', doc: 'Extended Interrupt Mode (32-bit APIC IDs: x2APIC)' },
  { key: 'pt', name: 'PT', shift: 6, linux: 'ecap_pass_through', doc: 'Pass Through' },
  { key: 'sc', name: 'SC', shift: 7, linux: 'ecap_sc_support', doc: 'Snoop Control' },
  {
    key: 'iro',
    name: 'IRO',
    shift: 8,
    width: 10,
    linux: 'ecap_iotlb_offset',
    doc: 'IOTLB Register Offset (x 16 bytes)',
    note: (v) => `registers at +${hex(v * 16)}`,
  },
  { key: 'mhmv', name: 'MHMV', shift: 20, width: 4, linux: 'ecap_max_handle_mask', doc: 'Maximum Handle Mask Value' },
  { key: 'ecs', name: 'ECS', shift: 24, deprecated: true, doc: 'Extended Context Support (VT-d 2.x; deprecated)' },
  { key: 'mts', name: 'MTS', shift: 25, linux: 'ecap_mts', doc: 'Memory Type Support' },
  { key: 'nest', name: 'NEST', shift: 26, linux: 'ecap_nest', doc: 'Nested Translation Support' },
  { key: 'dis', name: 'DIS', shift: 27, linux: 'ecap_dis', deprecated: true, doc: 'Deferred Invalidate Support (VT-d 2.x; reserved since)' },
  {
    key: 'pasid28',
    name: 'PASID (bit 28)',
    shift: 28,
    linux: 'ecap_broken_pasid',
    deprecated: true,
    doc: 'PASID support as early drafts placed it (Linux ignores it)',
  },
  { key: 'prs', name: 'PRS', shift: 29, linux: 'ecap_prs', doc: 'Page Request Support' },
  { key: 'ers', name: 'ERS', shift: 30, linux: 'ecap_ers', doc: 'Execute Request Support' },
  { key: 'srs', name: 'SRS', shift: 31, linux: 'ecap_srs', doc: 'Supervisor Request Support' },
  { key: 'nwfs', name: 'NWFS', shift: 33, linux: 'ecap_nwfs', doc: 'No Write Flag Support' },
  { key: 'eafs', name: 'EAFS', shift: 34, linux: 'ecap_eafs', doc: 'Extended Accessed Flag Support' },
  {
    key: 'pss',
    name: 'PSS',
    shift: 35,
    width: 5,
    linux: 'ecap_pss',
    doc: 'PASID Size Supported (value + 1 bits; read only when PASID is set)',
    note: (v) => `${v + 1}-bit PASIDs`,
    unusedUnless: 'pasid',
  },
  { key: 'pasid', name: 'PASID', shift: 40, linux: 'ecap_pasid', doc: 'Process Address Space ID Support' },
  { key: 'dit', name: 'DIT', shift: 41, linux: 'ecap_dit', doc: 'Device-TLB Invalidation Throttle' },
  { key: 'pds', name: 'PDS', shift: 42, linux: 'ecap_pds', doc: 'Page-request Drain Support' },
  { key: 'smts', name: 'SMTS', shift: 43, linux: 'ecap_smts', doc: 'Scalable Mode Translation Support' },
  { key: 'vcs', name: 'VCS', shift: 44, doc: 'Virtual Command Support' },
  { key: 'slads', name: 'SLADS', shift: 45, linux: 'ecap_slads', doc: 'Second-Level Accessed/Dirty Support' },
  { key: 'slts', name: 'SLTS', shift: 46, linux: 'ecap_slts', doc: 'Second-level Translation Support' },
  { key: 'flts', name: 'FLTS', shift: 47, linux: 'ecap_flts', doc: 'First-level Translation Support' },
  { key: 'smpwcs', name: 'SMPWCS', shift: 48, linux: 'ecap_smpwc', doc: 'Scalable-Mode Page-walk Coherency Support' },
  { key: 'rps', name: 'RPS', shift: 49, linux: 'ecap_rps', doc: 'RID-PASID Support' },
  { key: 'pms', name: 'PMS', shift: 51, linux: 'ecap_pms', doc: 'Performance Monitoring Support' },
  { key: 'adms', name: 'ADMS', shift: 52, doc: 'Abort DMA Mode Support' },
  { key: 'rprivs', name: 'RPRIVS', shift: 53, doc: 'RID_PRIV Support' },
];

/** One decoded field. */
export interface RegValue {
  key: string;
  name: string;
  /** Bit range as the specification writes it: "7" or "12:8". */
  bits: string;
  value: number;
  /** The value in words, when the field is more than a flag ("48 bits", "39-bit (3-level), 48-bit (4-level)"). */
  meaning?: string;
  doc: string;
  deprecated?: boolean;
}

export interface DecodedRegister {
  /** "CAP" or "ECAP". */
  register: 'CAP' | 'ECAP';
  raw: bigint;
  fields: RegValue[];
  /** Set bits no field names (reserved in the current specification). */
  reservedBits: number[];
}

function fieldValue(raw: bigint, f: RegField): number {
  const width = f.width ?? 1;
  return Number((raw >> BigInt(f.shift)) & ((1n << BigInt(width)) - 1n));
}

function decode(register: 'CAP' | 'ECAP', defs: readonly RegField[], raw: bigint): DecodedRegister {
  let named = 0n;
  const fields = defs.map((f): RegValue => {
    const width = f.width ?? 1;
    named |= ((1n << BigInt(width)) - 1n) << BigInt(f.shift);
    const value = fieldValue(raw, f);
    const out: RegValue = {
      key: f.key,
      name: f.name,
      bits: width === 1 ? `${f.shift}` : `${f.shift + width - 1}:${f.shift}`,
      value,
      doc: f.doc ?? '',
    };
    const flag = f.unusedUnless === undefined ? undefined : defs.find((d) => d.key === f.unusedUnless);
    if (flag && fieldValue(raw, flag) === 0) {
      // a field the OS never reads: no meaning to show at zero, and a value that is set told as unused
      if (value) out.meaning = `unused: ${flag.name} (bit ${flag.shift}) is clear`;
    } else if (f.note) out.meaning = f.note(value);
    if (f.deprecated) out.deprecated = true;
    return out;
  });
  const reservedBits: number[] = [];
  for (let b = 0; b < 64; b++) if ((raw >> BigInt(b)) & 1n && !((named >> BigInt(b)) & 1n)) reservedBits.push(b);
  return { register, raw, fields, reservedBits };
}

export function decodeCap(cap: bigint): DecodedRegister {
  return decode('CAP', CAP_FIELDS, cap);
}

export function decodeEcap(ecap: bigint): DecodedRegister {
  return decode('ECAP', ECAP_FIELDS, ecap);
}

/** A field's value by key; throws on an unknown key (a renamed field fails at once, not silently). */
export function regField(raw: bigint, defs: readonly RegField[], key: string): number {
  const f = defs.find((d) => d.key === key);
  if (!f) throw new Error(`vtd-regs: no field ${key}`);
  return fieldValue(raw, f);
}

/** What the rest of dmar asks of a unit, read from its two registers. */
export interface UnitCapabilities {
  /** CAP.CM: the unit is (almost certainly) a virtual IOMMU. */
  cachingMode: boolean;
  /** ECAP.IR. */
  interruptRemapping: boolean;
  /** ECAP.EIM: x2APIC interrupt remapping. */
  extendedInterruptMode: boolean;
  /** ECAP.QI. */
  queuedInvalidation: boolean;
  /** ECAP.PT. */
  passThrough: boolean;
  /** ECAP.SMTS. */
  scalableMode: boolean;
  /** ECAP.PASID. */
  pasid: boolean;
  /** CAP.PI. */
  postedInterrupts: boolean;
  /** CAP.MGAW + 1. */
  mgawBits: number;
  /** CAP.SAGAW as address widths in bits (39, 48, 57...). */
  sagawBits: number[];
  /** 2^(4 + 2 * CAP.ND). */
  domains: number;
  /** CAP_REG and ECAP_REG both all ones: nothing answers at the register base (Linux rejects the unit). */
  allOnes: boolean;
}

export const ALL_ONES = 0xffff_ffff_ffff_ffffn;

const SAGAW_BITS: Readonly<Record<number, number>> = { 0: 30, 1: 39, 2: 48, 3: 57, 4: 64 };

export function unitCapabilities(cap: bigint, ecap: bigint): UnitCapabilities {
  const c = (k: string) => regField(cap, CAP_FIELDS, k);
  const e = (k: string) => regField(ecap, ECAP_FIELDS, k) === 1;
  const sagaw = c('sagaw');
  return {
    cachingMode: c('cm') === 1,
    interruptRemapping: e('ir'),
    extendedInterruptMode: e('eim'),
    queuedInvalidation: e('qi'),
    passThrough: e('pt'),
    scalableMode: e('smts'),
    pasid: e('pasid'),
    postedInterrupts: c('pi') === 1,
    mgawBits: c('mgaw') + 1,
    sagawBits: Object.keys(SAGAW_BITS)
      .map(Number)
      .filter((b) => sagaw & (1 << b))
      .map((b) => SAGAW_BITS[b]!),
    domains: 2 ** (4 + 2 * c('nd')),
    allOnes: cap === ALL_ONES && ecap === ALL_ONES,
  };
}

/**
 * A register value as Linux prints it (`%llx`, sysfs cap/ecap files and the
 * `dmarN: ... cap X ecap Y` line), with or without 0x. Undefined when it is no
 * 64-bit hex number.
 */
export function parseRegister(text: string): bigint | undefined {
  const t = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,16}$/i.test(t)) return undefined;
  return BigInt('0x' + t);
}

/** The unit's VER_REG as Linux prints it ("1:0", sysfs `version`). */
export function parseVersion(text: string): { major: number; minor: number } | undefined {
  const m = /^\s*(\d+):(\d+)\s*$/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

// ---------------------------------------------------------------------------
// Fault reasons (Fault Recording Register FR field), as Linux names them in
// drivers/iommu/intel/dmar.c: dma_remap_fault_reasons (0x00-0x0d, legacy
// mode), irq_remap_fault_reasons (0x20-0x26), dma_remap_sm_fault_reasons
// (0x30-0x90, scalable mode). Codes Linux has no text for read "Unknown".

export type FaultKind = 'dma' | 'interrupt' | 'unknown';

const DMA_REASONS = [
  'Software',
  'Present bit in root entry is clear',
  'Present bit in context entry is clear',
  'Invalid context entry',
  'Access beyond MGAW',
  'PTE Write access is not set',
  'PTE Read access is not set',
  'Next page table ptr is invalid',
  'Root table address invalid',
  'Context table ptr is invalid',
  'non-zero reserved fields in RTP',
  'non-zero reserved fields in CTP',
  'non-zero reserved fields in PTE',
  'PCE for translation request specifies blocking',
];

const IRQ_REASONS = [
  'Detected reserved fields in the decoded interrupt-remapped request',
  'Interrupt index exceeded the interrupt-remapping table size',
  'Present field in the IRTE entry is clear',
  'Error accessing interrupt-remapping table pointed by IRTA_REG',
  'Detected reserved fields in the IRTE entry',
  'Blocked a compatibility format interrupt request',
  'Blocked an interrupt request due to source-id verification failure',
];

/** Scalable-mode reasons by code (gaps are "Unknown", as in Linux's table). */
const SM_REASONS: Readonly<Record<number, string>> = {
  0x30: 'SM: Invalid Root Table Address',
  0x31: 'SM: TTM 0 for request with PASID',
  0x32: 'SM: TTM 0 for page group request',
  0x38: 'SM: Error attempting to access Root Entry',
  0x39: 'SM: Present bit in Root Entry is clear',
  0x3a: 'SM: Non-zero reserved field set in Root Entry',
  0x40: 'SM: Error attempting to access Context Entry',
  0x41: 'SM: Present bit in Context Entry is clear',
  0x42: 'SM: Non-zero reserved field set in the Context Entry',
  0x43: 'SM: Invalid Context Entry',
  0x44: 'SM: DTE field in Context Entry is clear',
  0x45: 'SM: PASID Enable field in Context Entry is clear',
  0x46: 'SM: PASID is larger than the max in Context Entry',
  0x47: 'SM: PRE field in Context-Entry is clear',
  0x48: 'SM: RID_PASID field error in Context-Entry',
  0x50: 'SM: Error attempting to access the PASID Directory Entry',
  0x51: 'SM: Present bit in Directory Entry is clear',
  0x52: 'SM: Non-zero reserved field set in PASID Directory Entry',
  0x58: 'SM: Error attempting to access PASID Table Entry',
  0x59: 'SM: Present bit in PASID Table Entry is clear',
  0x5a: 'SM: Non-zero reserved field set in PASID Table Entry',
  0x5b: 'SM: Invalid Scalable-Mode PASID Table Entry',
  0x5c: 'SM: ERE field is clear in PASID Table Entry',
  0x5d: 'SM: SRE field is clear in PASID Table Entry',
  0x70: 'SM: Error attempting to access first-level paging entry',
  0x71: 'SM: Present bit in first-level paging entry is clear',
  0x72: 'SM: Non-zero reserved field set in first-level paging entry',
  0x73: 'SM: Error attempting to access FL-PML4 entry',
  0x74: 'SM: First-level entry address beyond MGAW in Nested translation',
  0x75: 'SM: Read permission error in FL-PML4 entry in Nested translation',
  0x76: 'SM: Read permission error in first-level paging entry in Nested translation',
  0x77: 'SM: Write permission error in first-level paging entry in Nested translation',
  0x78: 'SM: Error attempting to access second-level paging entry',
  0x79: 'SM: Read/Write permission error in second-level paging entry',
  0x7a: 'SM: Non-zero reserved field set in second-level paging entry',
  0x7b: 'SM: Invalid second-level page table pointer',
  0x7c: 'SM: A/D bit update needed in second-level entry when set up in no snoop',
  0x80: 'SM: Address in first-level translation is not canonical',
  0x81: 'SM: U/S set 0 for first-level translation with user privilege',
  0x82: 'SM: No execute permission for request with PASID and ER=1',
  0x83: 'SM: Address beyond the DMA hardware max',
  0x84: 'SM: Second-level entry address beyond the max',
  0x85: 'SM: No write permission for Write/AtomicOp request',
  0x86: 'SM: No read permission for Read/AtomicOp request',
  0x87: 'SM: Invalid address-interrupt address',
  0x90: 'SM: A/D bit update needed in first-level entry when set up in no snoop',
};

/**
 * What a legacy-mode fault usually means in practice: the device used an
 * address its domain does not map (a driver bug, a device DMAing to memory
 * firmware used before the OS, i.e. a missing RMRR, or a stale mapping).
 */
const DMA_HINTS: Readonly<Record<number, string>> = {
  0x01: 'the unit has no root entry for this bus: translation was enabled before the device was attached, or the requester ID is not one Linux knows (a hidden device, or a DMA alias)',
  0x02: 'the device has no context entry: it is not attached to any domain (a device the OS never claimed, or a requester ID alias such as a PCIe-to-PCI bridge or a phantom function)',
  0x04: "the address is beyond the unit's guest address width",
  0x05: 'the device wrote to an address its domain maps read-only or not at all',
  0x06: 'the device read an address its domain does not map: a driver bug, or memory firmware lets the device use (a frame buffer, a USB legacy buffer) that no RMRR describes',
};

export interface FaultReason {
  code: number;
  kind: FaultKind;
  /** Linux's text for the code ("Unknown" when it has none). */
  text: string;
  /** Scalable-mode code (0x30 and up). */
  scalable?: boolean;
  /** What it usually means, for the common legacy codes. */
  hint?: string;
}

/** A fault reason code decoded as Linux's dmar_get_fault_reason() does. */
export function faultReason(code: number): FaultReason {
  if (code >= 0x20 && code - 0x20 < IRQ_REASONS.length) return { code, kind: 'interrupt', text: IRQ_REASONS[code - 0x20]! };
  if (code >= 0x30 && code <= 0x90) return { code, kind: 'dma', text: SM_REASONS[code] ?? 'Unknown', scalable: true };
  if (code < DMA_REASONS.length) {
    const r: FaultReason = { code, kind: 'dma', text: DMA_REASONS[code]! };
    if (DMA_HINTS[code]) r.hint = DMA_HINTS[code];
    return r;
  }
  return { code, kind: 'unknown', text: 'Unknown' };
}
