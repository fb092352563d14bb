/**
 * What each DMAR / DMAR-IR / intel-iommu line of a kernel log means: for a
 * firmware bug, the dmar check that finds it in the table and what firmware
 * must fix; for a fault, the reason decoded and (given the table) whether the
 * address lies in an RMRR naming the device; for a unit, its CAP and ECAP
 * registers decoded. `dmar explain` prints this; it is also the library API.
 */
import { hex } from '../acpi/hex.js';
import { decodeDmar } from '../dmar/decode.js';
import { big, num, scopePath, type DeviceScope } from '../dmar/model.js';
import { PAGE_SIZE, SCOPE_TYPE, STRUCT_TYPE } from '../dmar/schema.js';
import { Context, type Located } from '../dmar/validate/check.js';
import type { DmarEvent, DmarLine, KernelLog } from './kernel-log.js';
import { decodeCap, decodeEcap, faultReason, unitCapabilities, type DecodedRegister, type FaultReason, type UnitCapabilities } from './vtd-regs.js';

export type Category = 'firmware-bug' | 'fault' | 'unit' | 'table' | 'info' | 'unrecognised';

/** An RMRR of the table that a fault address falls in. */
export interface RmrrHit {
  /** "RMRR #2" */
  structure: string;
  offset: number;
  base: bigint;
  end: bigint;
  /** Does one of its scopes name the faulting device? 'unknown' when the path needs the PCI tree to resolve. */
  namesDevice: 'yes' | 'no' | 'unknown';
  /** The scopes, as `bus:dd.f[/dd.f...]`. */
  scopes: string[];
}

/** What the table says about the line's subject (given --table). */
export interface TableMatch {
  /** "DRHD #1 at offset 0x30", or why nothing matches. */
  text: string;
  structure?: string;
  offset?: number;
}

export interface Explanation {
  line: number;
  /** The log line as given (escape before printing). */
  raw: string;
  text: string;
  subsystem: string;
  kind: DmarEvent['kind'];
  category: Category;
  meaning: string;
  /** The dmar checks that find this in the table (dmar validate --list). */
  checks: string[];
  /** What firmware must change. */
  fix?: string;
  continuation?: string[];
  fault?: {
    device: string;
    access?: string;
    pasid?: number;
    /** A PASID wider than 32 bits (a damaged log), as printed. */
    pasidPrinted?: string;
    address?: bigint;
    index?: bigint;
    reason?: FaultReason;
    /** The reason text the kernel printed, when it differs from the table's (another kernel version). */
    printed?: string;
    /** A reason no kernel prints (wider than 8 bits), as the log printed it. */
    reasonPrinted?: string;
    rmrrs?: RmrrHit[];
  };
  unit?: {
    name: string;
    base: bigint;
    version: string;
    cap: DecodedRegister;
    ecap: DecodedRegister;
    summary: UnitCapabilities;
  };
  table?: TableMatch;
}

export interface ExplainResult {
  log: KernelLog;
  /** Name of the table given, if any. */
  table?: string;
  entries: Explanation[];
  counts: Record<Category, number>;
  /** The fault lines grouped by device, access, PASID and reason: by device, in the order each device first faults, then in the order each group first appears. */
  faults: FaultGroup[];
}

/**
 * The fault lines of one device with one access, PASID and reason: a fault storm (the same fault thousands of
 * times) is one group, with how many lines, where in the log, and the addresses they span.
 */
export interface FaultGroup {
  kind: 'dma-fault' | 'intr-fault';
  device: string;
  access?: string;
  pasid?: number;
  /** A PASID wider than 32 bits (a damaged log), as printed. */
  pasidPrinted?: string;
  /** The reason decoded; undefined when the lines give none, or one no kernel prints (reasonPrinted). */
  reason?: FaultReason;
  reasonPrinted?: string;
  /** How many fault lines, and the log line numbers of the first and the last. */
  lines: number;
  first: number;
  last: number;
  /** DMA faults: the lowest and the highest address. */
  lowest?: bigint;
  highest?: bigint;
  /** Interrupt faults: the lowest and the highest remapping table index. */
  lowestIndex?: bigint;
  highestIndex?: bigint;
  /** With a table, for DMA faults without a PASID: the RMRRs any of the addresses fell in ("RMRR #1"), none when empty. */
  rmrrs?: string[];
  /** With `rmrrs`: how many of the lines have an address in one of them (the others fell in none). */
  rmrrLines?: number;
}

const RMRR_FIX =
  'report every RMRR range as reserved (E820 type 2, EfiReservedMemoryType) in the firmware memory map (VT-d spec 8.4: "BIOS must report the RMRR reported memory addresses as reserved in the system memory map")';

/** A line's meaning without the table. */
function lineMeaning(e: DmarEvent): Pick<Explanation, 'category' | 'meaning' | 'checks' | 'fix'> {
  const fw = (meaning: string, checks: string[], fix: string) => ({ category: 'firmware-bug' as const, meaning, checks, fix });
  switch (e.kind) {
    case 'rmrr-not-reserved':
      return fw(
        `the RMRR [${hex(e.start)}-${hex(e.end)}] is not (wholly) reserved in the kernel's memory map (Linux arch_rmrr_sanity_check(), 5.5 and later); Linux still maps it for its devices but taints itself`,
        ['DMAR-RMRR-NOT-RESERVED'],
        RMRR_FIX,
      );
    case 'bad-rmrr': {
      // rmrr_sanity_check(): aligned base, aligned end + 1, end above base, then arch_rmrr_sanity_check().
      const shape: string[] = [];
      if (e.start % PAGE_SIZE !== 0n) shape.push('Base Address is not 4 KiB aligned');
      if ((e.end + 1n) % PAGE_SIZE !== 0n) shape.push('End Address + 1 is not 4 KiB aligned');
      if (e.end <= e.start) shape.push('End Address is not above Base Address');
      const head = `Linux's rmrr_sanity_check() failed for the RMRR [${hex(e.start)}-${hex(e.end)}] (the kernel taints itself and prints the BIOS vendor and version)`;
      return shape.length
        ? fw(
            `${head}: ${shape.join('; ')}`,
            [...(shape.some((w) => w.includes('aligned')) ? ['DMAR-RMRR-ALIGN'] : []), ...(shape.some((w) => w.includes('above')) ? ['DMAR-RMRR-RANGE'] : [])],
            'keep Base Address and End Address + 1 4 KiB aligned, End Address above Base Address',
          )
        : fw(
            `${head}: the range is aligned and ordered, so the memory map failed it (the "No firmware reserved region" line before this one)`,
            ['DMAR-RMRR-NOT-RESERVED'],
            RMRR_FIX,
          );
    }
    case 'rmrr-path-broken':
      return fw(
        `an RMRR device scope for ${e.device} gives the device's own bus as start bus with a one-entry path instead of the path from the root bus; Linux matches it anyway (dmar_match_pci_path() workaround)`,
        ['DMAR-SCOPE-PATH-WORKAROUND'],
        'write the scope as the root bus number followed by the full path of (device, function) hops from the root port to the device',
      );
    case 'drhd-invalid-address':
      return e.allOnes
        ? fw(
            `the DRHD register base ${hex(e.address)} reads all ones: no remapping unit answers there (disabled in the chipset, or a wrong address); Linux disables VT-d entirely`,
            ['DMAR-UNIT-REGS-ALL-ONES'],
            'give each DRHD the Register Base Address of an enabled remapping unit, or drop the DRHD (and the whole DMAR table when VT-d is disabled in setup)',
          )
        : fw(
            'a DRHD has Register Base Address 0; Linux disables VT-d entirely',
            ['DMAR-DRHD-BASE-ZERO'],
            'give each DRHD the Register Base Address of its remapping unit',
          );
    case 'rhsa-no-drhd':
      return fw(
        `an RHSA names register base ${hex(e.address)}, which no DRHD has; Linux ignores it (the unit's NUMA node stays unknown)`,
        ['DMAR-RHSA-NO-DRHD'],
        'make every RHSA Base Address the Register Base Address of a DRHD (or drop the RHSA)',
      );
    case 'andd-unterminated':
      return fw(
        "an ANDD Device Name has no NUL within the structure's Length; Linux ignores the ANDD",
        ['DMAR-ANDD-NAME-UNTERMINATED'],
        'terminate the Device Name with a NUL inside Length',
      );
    case 'no-drhd':
      return fw(
        'the DMAR table has no DRHD: no remapping unit is described; Linux does not enable VT-d',
        ['DMAR-DRHD-NONE'],
        'describe every remapping unit with a DRHD, or publish no DMAR table',
      );
    case 'record-past-end':
      return fw(
        "a remapping structure's Length runs past the end of the table; Linux stops parsing the table",
        ['DMAR-STRUCT-OVERRUN', 'DMAR-HDR-LENGTH-PAST-END'],
        'make every structure Length and the Table Length agree',
      );
    case 'zero-length':
      return fw('a remapping structure has Length 0; Linux stops walking the table there', ['DMAR-STRUCT-ZERO-LENGTH'], 'give every structure its real Length');
    case 'ioapic-no-iommu':
      return fw(
        `the MADT I/O APIC with ID ${e.ioapic} is in no DRHD's I/O APIC device scope; Linux disables interrupt remapping (and with it x2APIC on most machines)`,
        ['DMAR-MADT-IOAPIC-UNMAPPED'],
        `add an IOAPIC device scope with Enumeration ID ${e.ioapic} (and the I/O APIC's PCI source ID as path) to the DRHD of the unit that remaps its interrupts`,
      );
    case 'scope-type-mismatch':
      return fw(
        `a device scope names ${e.device} with the wrong type: an Endpoint scope for a bridge, or a Bridge scope for a normal device; Linux fails its device scope setup (dmar_dev_scope_init) and leaves DMA remapping off altogether`,
        ['DMAR-SCOPE-TYPE-MISMATCH'],
        'use scope type 1 (PCI Endpoint) for devices with a type 0 header and 2 (PCI Bridge) for bridges',
      );
    case 'scope-not-found':
      return fw(
        `a device scope names ${e.device}, which the kernel did not find on the PCI bus (older kernels printed this; newer ones ignore such scopes silently)`,
        ['DMAR-SCOPE-DEVICE-ABSENT'],
        'name only devices that exist (or that the platform hides deliberately, and then expect this warning)',
      );
    case 'scope-unsupported':
      return fw(
        'a device scope has a type Linux does not know (reserved types 0 and 6 and above); it is skipped',
        ['DMAR-SCOPE-TYPE-UNKNOWN'],
        'use scope types 1-5 only',
      );
    case 'invalid-haw':
      return fw(
        'the DMAR Host Address Width is below 11 (under 12 address bits); Linux rejects the table',
        ['DMAR-HAW-INVALID'],
        "set Host Address Width to the platform's physical address width minus one",
      );
    case 'ir-erratum':
      return fw(
        'firmware enabled interrupt remapping on a chipset with an interrupt-remapping erratum (Intel 5500/5520/X58 revisions); Linux disables interrupt remapping',
        [],
        'update the BIOS; firmware must not enable interrupt remapping on affected chipset steppings',
      );
    case 'firmware-bug':
      return fw(
        'the VT-d driver reports a firmware bug this version of dmar has no explanation for',
        [],
        'see the message; the BIOS vendor must fix the DMAR table or the platform',
      );
    case 'rmrr-locked':
      return {
        category: 'info',
        checks: [],
        meaning: `${e.device ?? 'the device'} is named by an RMRR, so Linux (3.17 and later) refuses to give it to an unmanaged domain (VFIO passthrough); USB and graphics devices are exempt (device_rmrr_is_relaxable())`,
        fix: 'firmware should name in RMRRs only devices that really DMA to firmware memory after boot; `dmar topology` shows which devices are RMRR-locked',
      };
    case 'unit':
      return { category: 'unit', meaning: `remapping unit ${e.unit} at register base ${hex(e.base)}, architecture version ${e.version}`, checks: [] };
    case 'drhd':
      return {
        category: 'table',
        meaning: `the table's DRHD: register base ${hex(e.base)}${e.flags & 1 ? ', INCLUDE_PCI_ALL (every device of its segment not under another unit)' : ''}`,
        checks: [],
      };
    case 'rmrr':
      return {
        category: 'table',
        meaning: `the table's RMRR: [${hex(e.start)}-${hex(e.end)}], memory firmware-owned devices keep using after boot`,
        checks: [],
      };
    case 'structure':
      return { category: 'table', meaning: `the table's ${e.structure} structure`, checks: [] };
    case 'haw':
      return { category: 'table', meaning: `the table's Host Address Width: ${e.width} address bits (field value ${e.width - 1})`, checks: [] };
    case 'ir-scope':
      return {
        category: 'table',
        meaning: `${e.device} ${e.id} is remapped by the unit at ${hex(e.base)} (a DRHD ${e.device === 'IOAPIC' ? 'IOAPIC' : 'MSI-capable HPET'} scope)`,
        checks: [],
      };
    case 'ir-enabled':
      return {
        category: 'info',
        meaning: `interrupt remapping is on, in ${e.mode} mode${e.mode === 'xapic' ? ' (8-bit APIC IDs: x2APIC is off, by X2APIC_OPT_OUT, a unit without EIM, or the CPU)' : ''}`,
        checks: [],
      };
    case 'ir-disabled':
      return {
        category: 'info',
        meaning:
          'interrupt remapping stays off (the reason is on a line before: a firmware bug, a unit without IR, or intremap=off): devices can inject arbitrary interrupts, and x2APIC is off on most machines',
        checks: [],
      };
    case 'x2apic-optout':
      return {
        category: 'info',
        meaning:
          'the DMAR Flags X2APIC_OPT_OUT bit is set: firmware asks the OS not to use x2APIC; Linux stays in xAPIC mode (intremap=no_x2apic_optout overrides)',
        checks: [],
      };
    case 'x2apic-off':
      return {
        category: 'info',
        meaning:
          'interrupt remapping is not in x2APIC mode (it is off, X2APIC_OPT_OUT is set, or a unit lacks EIM), so the kernel turns x2APIC off (in a guest the hypervisor may allow x2APIC without it); on bare metal CPUs with APIC IDs above 255 cannot come up',
        checks: ['DMAR-FLAGS-X2APIC-NO-EIM'],
      };
    case 'no-eim':
      return {
        category: 'info',
        meaning: `unit ${e.unit} lacks Extended Interrupt Mode (ECAP.EIM): interrupt remapping runs in xAPIC mode`,
        checks: ['DMAR-FLAGS-X2APIC-NO-EIM'],
      };
    case 'fault-status':
      return { category: 'fault', meaning: `a unit raised a fault interrupt; Fault Status ${hex(e.status)}: ${faultStatusBits(e.status)}`, checks: [] };
    case 'faults-suppressed':
      return { category: 'fault', meaning: `the kernel's rate limit hid ${e.count} more fault messages: the faults above go on`, checks: [] };
    case 'qi-error':
      return { category: 'fault', meaning: qiErrorMeaning(e), checks: [] };
    case 'qi-descriptor':
      return {
        category: 'fault',
        meaning: `the invalidation descriptor ${e.which === 'head' ? 'at the queue head' : 'before the queue head'} (the error above concerns one of the two): ${/device-tlb/i.test(e.type) ? `${e.type}, which the unit sends to a device's ATS cache (PCIe Address Translation Services)` : /^UNKNOWN$/.test(e.type) ? 'a descriptor of no type the kernel knows (an empty slot reads all zeros)' : e.type}; qw0 ${hex(e.qw0)}, qw1 ${hex(e.qw1)}`,
        checks: [],
      };
    case 'dma-fault':
    case 'intr-fault':
    case 'fault-reason':
      return { category: 'fault', meaning: '', checks: [] };
    case 'info':
      return { category: 'info', meaning: 'informational: the driver reports normal operation', checks: [] };
    case 'unrecognised':
      return { category: 'unrecognised', meaning: 'a line of the VT-d drivers that dmar does not recognise', checks: [] };
  }
}

/** An invalidation queue error (FSTS IQE, ITE, ICE), as qi_check_fault() and qi_dump_fault() report it. */
function qiErrorMeaning(e: Extract<DmarEvent, { kind: 'qi-error' }>): string {
  const name = { IQE: 'invalidation queue error', ITE: 'invalidation time-out error', ICE: 'invalidation completion error' }[e.error];
  if (e.cleared) return `the kernel cleared the ${name} (${e.error}) in the unit's Fault Status register and goes on`;
  const source =
    e.sid === undefined
      ? ''
      : e.sid === 0
        ? '; source ID 0: the unit recorded none (a unit older than the Invalidation Queue Error Record register reads 0), or device 00:00.0'
        : `; the unit recorded the source ID ${hex(e.sid, 4)}: device ${sidBdf(e.sid)}`;
  switch (e.error) {
    case 'ITE':
      return `an ${name}: a device did not complete a Device-TLB invalidation (PCIe ATS) in time, and the invalidations queued behind it are aborted; usually a device that was reset or hung, or whose ATS is broken (Linux submits them again unless the device is gone: one that never answers keeps it retrying)${source}`;
    case 'ICE':
      return `an ${name}: the unit received a Device-TLB invalidation completion it did not expect (an invalid ITag or source ID), a device's ATS defect${source}`;
    case 'IQE':
      return `an ${name}: the unit found a descriptor in its invalidation queue that it cannot process (an invalid or unsupported descriptor: a driver defect, or a unit that lacks the feature); the kernel skips it${e.info !== undefined ? `; IQEI ${hex(e.info)} (the unit's Invalidation Queue Error Info)` : ''}${source}`;
  }
}

/** A PCI source ID (bus << 8 | device << 3 | function) as BB:DD.F. */
const sidBdf = (sid: number) => `${((sid >> 8) & 0xff).toString(16).padStart(2, '0')}:${((sid >> 3) & 0x1f).toString(16).padStart(2, '0')}.${sid & 7}`;

/** FSTS_REG bits (Linux DMA_FSTS_*). */
function faultStatusBits(s: number): string {
  const names: Array<[number, string]> = [
    [0x01, 'primary fault overflow'],
    [0x02, 'primary pending fault'],
    [0x10, 'invalidation queue error'],
    [0x20, 'invalidation completion error'],
    [0x40, 'invalidation time-out error'],
    [0x80, 'page request overflow'],
  ];
  const set = names.filter(([b]) => s & b).map(([, n]) => n);
  const index = (s >> 8) & 0xff;
  return (set.length ? set.join(', ') : 'no status bit') + (s & 0x02 ? `, first fault record ${index}` : '');
}

/** "00:02.0" -> bus, device, function. */
function bdfParts(text: string): { bus: number; device: number; fn: number } | undefined {
  const m = /(?:[0-9a-f]{4}:)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(text);
  return m ? { bus: parseInt(m[1]!, 16), device: parseInt(m[2]!, 16), fn: Number(m[3]) } : undefined;
}

/**
 * Does the scope name the device? A one-hop path names bus:dd.f exactly; a
 * bridge scope or a longer path needs the PCI tree (secondary bus numbers).
 */
function scopeNames(sc: DeviceScope, d: { bus: number; device: number; fn: number }): 'yes' | 'no' | 'unknown' {
  const type = num(sc.fields, 'type');
  if (type !== SCOPE_TYPE.ENDPOINT && type !== SCOPE_TYPE.BRIDGE) return 'no';
  const bus = num(sc.fields, 'bus');
  if (sc.path.length === 1) {
    const [h] = sc.path;
    if (bus === d.bus && h!.device === d.device && h!.function === d.fn) return 'yes';
    return type === SCOPE_TYPE.BRIDGE ? 'unknown' : 'no';
  }
  return sc.path.length ? 'unknown' : 'no';
}

const worst = (a: RmrrHit['namesDevice'], b: RmrrHit['namesDevice']) =>
  a === 'yes' || b === 'yes' ? 'yes' : a === 'unknown' || b === 'unknown' ? 'unknown' : 'no';

/** The table, decoded leniently, with its labels. */
export interface TableView {
  name: string;
  ctx: Context;
}

export function tableView(bytes: Uint8Array, name: string): TableView {
  return { name, ctx: new Context(bytes, decodeDmar(bytes, { strict: false })) };
}

const located = (ctx: Context, l: Located) => `${ctx.label(l.index)} at offset ${hex(l.s.offset)}`;

/**
 * A table's RMRRs for finding them by address (a log may hold thousands of
 * fault lines, a table thousands of RMRRs): sorted by base, with the highest
 * end of each prefix, and by exact range. Made once per table.
 */
interface RmrrIndex {
  sorted: { l: Located; base: bigint; end: bigint }[];
  maxEnd: bigint[];
  byRange: Map<string, Located>;
}
const rmrrIndexes = new WeakMap<TableView, RmrrIndex>();

function rmrrIndex(t: TableView): RmrrIndex {
  let ix = rmrrIndexes.get(t);
  if (ix) return ix;
  const all = t.ctx.of(STRUCT_TYPE.RMRR).map((l) => ({ l, base: big(l.s.fields, 'baseAddress'), end: big(l.s.fields, 'endAddress') }));
  const byRange = new Map<string, Located>();
  for (const r of all) if (!byRange.has(`${r.base}-${r.end}`)) byRange.set(`${r.base}-${r.end}`, r.l);
  const sorted = [...all].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : a.l.index - b.l.index));
  const maxEnd: bigint[] = [];
  for (let i = 0; i < sorted.length; i++) maxEnd.push(i && maxEnd[i - 1]! > sorted[i]!.end ? maxEnd[i - 1]! : sorted[i]!.end);
  ix = { sorted, maxEnd, byRange };
  rmrrIndexes.set(t, ix);
  return ix;
}

/**
 * A table's DRHDs by register base, RHSAs by base, and DRHD IOAPIC and HPET scopes by Enumeration ID (and
 * DRHD base), each the first in table order: a log of many unit or scope lines is matched in one look-up a
 * line, not a walk of a table of thousands of structures. Made once per table.
 */
interface UnitIndex {
  drhd: Map<bigint, Located>;
  rhsa: Map<bigint, Located>;
  /** `${type}:${id}`: the first DRHD with such a scope; `${type}:${id}:${base}`: that DRHD if its base is `base`. */
  scope: Map<string, Located>;
}
const unitIndexes = new WeakMap<TableView, UnitIndex>();

function unitIndex(t: TableView): UnitIndex {
  let ix = unitIndexes.get(t);
  if (ix) return ix;
  ix = { drhd: new Map(), rhsa: new Map(), scope: new Map() };
  const first = <K>(m: Map<K, Located>, k: K, l: Located) => {
    if (!m.has(k)) m.set(k, l);
  };
  for (const l of t.ctx.of(STRUCT_TYPE.DRHD)) first(ix.drhd, big(l.s.fields, 'registerBaseAddress'), l);
  for (const l of t.ctx.of(STRUCT_TYPE.RHSA)) first(ix.rhsa, big(l.s.fields, 'baseAddress'), l);
  for (const { l, sc } of t.ctx.scopes(t.ctx.of(STRUCT_TYPE.DRHD))) {
    const type = num(sc.fields, 'type');
    if (type !== SCOPE_TYPE.IOAPIC && type !== SCOPE_TYPE.HPET) continue;
    const id = num(sc.fields, 'enumerationId');
    first(ix.scope, `${type}:${id}`, l);
    first(ix.scope, `${type}:${id}:${big(l.s.fields, 'registerBaseAddress')}`, l);
  }
  unitIndexes.set(t, ix);
  return ix;
}

/** The RMRRs whose range holds `address`, in table order. */
function rmrrsAt(t: TableView, address: bigint): Located[] {
  const { sorted, maxEnd } = rmrrIndex(t);
  // the last RMRR whose base is at or below the address; before it, only those whose prefix reaches it
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.base <= address) lo = mid + 1;
    else hi = mid;
  }
  const hits: Located[] = [];
  for (let i = lo - 1; i >= 0 && maxEnd[i]! >= address; i--) if (sorted[i]!.end >= address) hits.push(sorted[i]!.l);
  return hits.sort((a, b) => a.index - b.index);
}

function rmrrHits(t: TableView, address: bigint, device: string): RmrrHit[] {
  const d = bdfParts(device);
  const out: RmrrHit[] = [];
  for (const l of rmrrsAt(t, address)) {
    const base = big(l.s.fields, 'baseAddress');
    const end = big(l.s.fields, 'endAddress');
    const scopes = l.s.scopes ?? [];
    const namesDevice = d ? scopes.reduce<RmrrHit['namesDevice']>((acc, sc) => worst(acc, scopeNames(sc, d)), 'no') : 'unknown';
    out.push({ structure: t.ctx.label(l.index), offset: l.s.offset, base, end, namesDevice, scopes: scopes.map(scopePath) });
  }
  return out;
}

function rmrrByRange(t: TableView, start: bigint, end: bigint): TableMatch {
  const l = rmrrIndex(t).byRange.get(`${start}-${end}`);
  if (!l) return { text: `no RMRR of ${t.name} has this range (the log is from another table or firmware version)` };
  const scopes = (l.s.scopes ?? []).map(scopePath);
  return { text: `${located(t.ctx, l)}${scopes.length ? `, scopes ${scopes.join(', ')}` : ''}`, structure: t.ctx.label(l.index), offset: l.s.offset };
}

function drhdByBase(t: TableView, base: bigint): TableMatch {
  const l = unitIndex(t).drhd.get(base);
  if (!l) return { text: `no DRHD of ${t.name} has register base ${hex(base)} (DMAR-UNIT-NOT-IN-TABLE)` };
  const flags = num(l.s.fields, 'flags');
  return { text: `${located(t.ctx, l)}${flags & 1 ? ', INCLUDE_PCI_ALL' : ''}`, structure: t.ctx.label(l.index), offset: l.s.offset };
}

function tableMatch(t: TableView, e: DmarEvent): TableMatch | undefined {
  switch (e.kind) {
    case 'rmrr-not-reserved':
    case 'bad-rmrr':
    case 'rmrr':
      return rmrrByRange(t, e.start, e.end);
    case 'unit':
    case 'drhd':
      return drhdByBase(t, e.base);
    case 'drhd-invalid-address':
      return drhdByBase(t, e.address);
    case 'rhsa-no-drhd': {
      const l = unitIndex(t).rhsa.get(e.address);
      return l ? { text: located(t.ctx, l), structure: t.ctx.label(l.index), offset: l.s.offset } : { text: `no RHSA of ${t.name} names ${hex(e.address)}` };
    }
    case 'ioapic-no-iommu': {
      const hit = unitIndex(t).scope.get(`${SCOPE_TYPE.IOAPIC}:${e.ioapic}`);
      return hit
        ? {
            text: `${located(t.ctx, hit)} has an IOAPIC scope with ID ${e.ioapic}: this table would not cause the message (another firmware version?)`,
            structure: t.ctx.label(hit.index),
            offset: hit.s.offset,
          }
        : { text: `no DRHD of ${t.name} has an IOAPIC scope with Enumeration ID ${e.ioapic}` };
    }
    case 'ir-scope': {
      const type = e.device === 'IOAPIC' ? SCOPE_TYPE.IOAPIC : SCOPE_TYPE.HPET;
      const hit = unitIndex(t).scope.get(`${type}:${e.id}:${e.base}`);
      return hit
        ? { text: `${located(t.ctx, hit)}, its ${e.device} scope with ID ${e.id}`, structure: t.ctx.label(hit.index), offset: hit.s.offset }
        : { text: `no DRHD of ${t.name} at ${hex(e.base)} has an ${e.device} scope with Enumeration ID ${e.id} (another firmware version?)` };
    }
    default:
      return undefined;
  }
}

function faultMeaning(x: Explanation, e: Extract<DmarEvent, { kind: 'dma-fault' | 'intr-fault' }>, t?: TableView): void {
  const reason = e.reason === undefined ? undefined : faultReason(e.reason);
  x.fault = { device: e.device };
  if (e.kind === 'dma-fault') {
    x.fault.access = e.access;
    x.fault.address = e.address;
    if (e.pasid !== undefined) x.fault.pasid = e.pasid;
    if (e.pasidPrinted !== undefined) x.fault.pasidPrinted = e.pasidPrinted;
  } else x.fault.index = e.index;
  if (reason) {
    x.fault.reason = reason;
    if (e.reasonText && e.reasonText !== reason.text) x.fault.printed = e.reasonText;
  }
  // the kernel prints a 64-bit address and index and a 32-bit PASID: a wider one is a damaged log, not shown
  // whole, nor matched to RMRRs, nor spanned by a fault group
  const wide = e.kind === 'dma-fault' ? e.address > MAX_U64 : e.index > MAX_U64;
  const damaged = (what: string, digits: number, bits: number) =>
    `${what} of ${digits} hex digits as printed, wider than the ${bits} bits a kernel prints (a damaged log)`;
  const pasid =
    e.kind !== 'dma-fault'
      ? ''
      : e.pasid !== undefined
        ? ` (PASID ${hex(e.pasid)})`
        : e.pasidPrinted !== undefined
          ? ` (${damaged('a PASID', e.pasidPrinted.replace(/^0x/i, '').replace(/^0+/, '').length, 32)})`
          : '';
  const what =
    e.kind === 'dma-fault'
      ? `device ${e.device} ${e.access === 'read' ? 'read from' : e.access === 'write' ? 'wrote to' : 'accessed'} ${wide ? damaged('an address', e.address.toString(16).length, 64) : hex(e.address)}${pasid} and the remapping unit blocked it`
      : `device ${e.device} sent an interrupt (remapping table index ${wide ? damaged('an index', e.index.toString(16).length, 64) : hex(e.index)}) that the unit blocked`;
  if (e.reasonPrinted !== undefined) x.fault.reasonPrinted = e.reasonPrinted;
  x.meaning = `${what}: ${
    reason
      ? `fault reason ${hex(reason.code, 2)}, ${reason.text}${reason.hint ? ` (${reason.hint})` : ''}`
      : e.reasonPrinted !== undefined
        ? `fault reason ${e.reasonPrinted} as printed, which is no reason a kernel prints (the field is 8 bits: a damaged log)`
        : 'reason not in the log'
  }`;
  if (reason?.code === 0x25)
    x.meaning +=
      '; an interrupt in compatibility format while remapping blocks that format: an HPET missing from the DRHD scopes (an I/O APIC missing from them makes Linux leave interrupt remapping off altogether), an interrupt programmed before remapping was turned on (a single fault as it is enabled), or a device firmware quirk';
  if (reason?.code === 0x26) x.meaning += '; the source ID does not match the IRTE: often an I/O APIC or HPET scope with the wrong PCI path in the DMAR table';
  // a request with a PASID is translated in that PASID's address space (a process's, a guest's), not the one the
  // RMRRs' identity maps live in: its address says nothing of them
  if (e.kind === 'dma-fault' && t && (e.pasid !== undefined || e.pasidPrinted !== undefined))
    x.table = {
      text: `the address is in the address space of ${e.pasid !== undefined ? `PASID ${hex(e.pasid)}` : 'a PASID'}, not matched against the RMRRs of ${t.name} (physical addresses)`,
    };
  else if (e.kind === 'dma-fault' && t && wide) x.table = { text: `the address is wider than 64 bits: not matched against the RMRRs of ${t.name}` };
  else if (e.kind === 'dma-fault' && t) {
    const hits = rmrrHits(t, e.address, e.device);
    x.fault.rmrrs = hits;
    if (!hits.length) x.table = { text: `the address is in no RMRR of ${t.name}` };
    else {
      const named = hits.filter((h) => h.namesDevice === 'yes');
      const unknown = hits.filter((h) => h.namesDevice === 'unknown');
      x.table = {
        text: named.length
          ? `the address is in ${named.map((h) => h.structure).join(', ')}, which names ${e.device}: the device was meant to reach it, yet its domain did not map it`
          : unknown.length
            ? `the address is in ${unknown.map((h) => h.structure).join(', ')}, whose scope path needs the PCI tree to tell whether it names ${e.device} (dmar topology --machine)`
            : `the address is in ${hits.map((h) => h.structure).join(', ')}, which does not name ${e.device}: if the device needs that memory, firmware must add it to the RMRR's scopes`,
        structure: (named[0] ?? unknown[0] ?? hits[0]!).structure,
        offset: (named[0] ?? unknown[0] ?? hits[0]!).offset,
      };
    }
  }
}

/** Explains every DMAR line of a parsed log; with a table, matches lines to its structures. */
export function explainLog(log: KernelLog, table?: TableView): ExplainResult {
  const entries = log.dmar.map((d: DmarLine): Explanation => {
    const base = lineMeaning(d.event);
    const x: Explanation = { line: d.line, raw: d.raw, text: d.text, subsystem: d.subsystem, kind: d.event.kind, ...base };
    if (d.continuation) x.continuation = d.continuation;
    const e = d.event;
    if (e.kind === 'dma-fault' || e.kind === 'intr-fault') faultMeaning(x, e, table);
    if (e.kind === 'fault-reason') {
      const r = e.reason === undefined ? undefined : faultReason(e.reason);
      x.meaning = r
        ? `fault reason ${hex(r.code, 2)}: ${r.text} (no fault line before it)`
        : `fault reason ${e.reasonPrinted} as printed, which is no reason a kernel prints (the field is 8 bits: a damaged log; no fault line before it)`;
    }
    if (e.kind === 'unit') {
      const summary = unitCapabilities(e.cap, e.ecap);
      x.unit = { name: e.unit, base: e.base, version: e.version, cap: decodeCap(e.cap), ecap: decodeEcap(e.ecap), summary };
      x.meaning += `: ${unitSummary(summary)}`;
      if (summary.allOnes) {
        x.category = 'firmware-bug';
        x.checks = ['DMAR-UNIT-REGS-ALL-ONES'];
        x.fix = 'give each DRHD the Register Base Address of an enabled remapping unit';
      }
    }
    if (table) {
      const m = tableMatch(table, e);
      if (m) x.table = m;
    }
    return x;
  });
  const counts: Record<Category, number> = { 'firmware-bug': 0, fault: 0, unit: 0, table: 0, info: 0, unrecognised: 0 };
  for (const x of entries) counts[x.category]++;
  const r: ExplainResult = { log, entries, counts, faults: faultGroups(entries) };
  if (table) r.table = table.name;
  return r;
}

const MAX_U64 = (1n << 64n) - 1n;
const lower = (a: bigint | undefined, b: bigint) => (a === undefined || b < a ? b : a);
const higher = (a: bigint | undefined, b: bigint) => (a === undefined || b > a ? b : a);

/** The fault lines of the entries, grouped (FaultGroup). */
function faultGroups(entries: readonly Explanation[]): FaultGroup[] {
  const groups = new Map<string, FaultGroup>();
  for (const x of entries) {
    const f = x.fault;
    if (!f || (x.kind !== 'dma-fault' && x.kind !== 'intr-fault')) continue;
    const reasonKey = f.reason ? `r${f.reason.code}` : f.reasonPrinted !== undefined ? `p${f.reasonPrinted}` : '';
    const key = `${x.kind} ${f.device} ${f.access ?? ''} ${f.pasid ?? (f.pasidPrinted !== undefined ? `p${f.pasidPrinted}` : '')} ${reasonKey}`;
    let g = groups.get(key);
    if (!g) {
      g = { kind: x.kind, device: f.device, lines: 0, first: x.line, last: x.line };
      if (f.access !== undefined) g.access = f.access;
      if (f.pasid !== undefined) g.pasid = f.pasid;
      if (f.pasidPrinted !== undefined) g.pasidPrinted = f.pasidPrinted;
      if (f.reason) g.reason = f.reason;
      if (f.reasonPrinted !== undefined) g.reasonPrinted = f.reasonPrinted;
      groups.set(key, g);
    }
    g.lines++;
    g.last = x.line;
    if (f.address !== undefined && f.address <= MAX_U64) {
      g.lowest = lower(g.lowest, f.address);
      g.highest = higher(g.highest, f.address);
    }
    if (f.index !== undefined && f.index <= MAX_U64) {
      g.lowestIndex = lower(g.lowestIndex, f.index);
      g.highestIndex = higher(g.highestIndex, f.index);
    }
    if (f.rmrrs) {
      g.rmrrLines = (g.rmrrLines ?? 0) + (f.rmrrs.length ? 1 : 0);
      const names = (g.rmrrs ??= []);
      for (const h of f.rmrrs) if (!names.includes(h.structure)) names.push(h.structure);
    }
  }
  // by device (in the order each device first faults), then in the order each group first appears
  const deviceRank = new Map<string, number>();
  for (const g of groups.values()) if (!deviceRank.has(g.device)) deviceRank.set(g.device, deviceRank.size);
  return [...groups.values()].sort((a, b) => deviceRank.get(a.device)! - deviceRank.get(b.device)! || a.first - b.first);
}

/** One line: what a unit can do. */
export function unitSummary(s: UnitCapabilities): string {
  if (s.allOnes) return 'CAP and ECAP read all ones: nothing answers at this register base';
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return [
    `${s.sagawBits.length ? s.sagawBits.map((b) => `${b}-bit`).join('/') : 'no'} page tables`,
    `MGAW ${s.mgawBits} bits`,
    `${s.domains} domains`,
    `caching mode ${s.cachingMode ? 'ON (a virtual IOMMU)' : 'off'}`,
    `interrupt remapping ${yes(s.interruptRemapping)}${s.interruptRemapping ? ` (x2APIC/EIM ${yes(s.extendedInterruptMode)})` : ''}`,
    `queued invalidation ${yes(s.queuedInvalidation)}`,
    `pass-through ${yes(s.passThrough)}`,
    `posted interrupts ${yes(s.postedInterrupts)}`,
    `scalable mode ${yes(s.scalableMode)}`,
  ].join(', ');
}
