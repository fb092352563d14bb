/**
 * Everything the machine-context checks and the topology read from a machine
 * root, gathered once: memory map, PCI tree, IOMMU units, MADT I/O APICs, HPET,
 * kernel release and command line. Each part is undefined when the root lacks it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HPET_SIGNATURE, hpetInfo, type HpetInfo } from '../acpi/hpet.js';
import { checkMadt, MADT_SIGNATURE, madtIoapics, type MadtIoapic } from '../acpi/madt.js';
import { readSysfsMemmap, type MapEdit } from './memmap.js';
import { e820Kind, LINUX_VERSION, logUnits, parseKernelRelease, readKernelLog, upstreamPatch, type KernelLog } from './kernel-log.js';
import { readPciTree, type PciTree } from './pci.js';
import { machineRoot } from './root.js';
import { capturedFailures, listDir, readAcpiTable, readText } from './sysfs.js';
import { listSome } from '../acpi/escape.js';

// facts.ts held these before src/acpi/hpet.ts
export { hpetInfo, type HpetInfo };
import { parseRegister } from './vtd-regs.js';
import type { IommuUnit, KernelVersion, MemoryMap } from './types.js';

export interface MachineFacts {
  /** What the facts were read from, for messages: "capture DIR", "this machine". */
  source: string;
  root?: string;
  memoryMap?: MemoryMap;
  pci?: PciTree;
  /** Undefined: unknown (no sysfs iommu class); []: the class exists and has no dmar unit. */
  units?: IommuUnit[];
  ioapics?: MadtIoapic[];
  hpets?: HpetInfo[];
  /** Undefined when the machine has no HPET table (or it was not captured). */
  kernel?: KernelVersion;
  cmdline?: string;
  /**
   * What the machine has but could not be read (as a user), with why: "cannot be read: ...", "was not
   * captured: ..."; the memory map when a capture could not read all of it (a boot log's map then stands in).
   */
  unreadable?: { MADT?: string; HPET?: string; memoryMap?: string };
  /** `e820: update` edits the boot log printed, applied to its memory map before the RMRR check. */
  e820Edits?: MapEdit[];
}

const parseRegisterText = (s: string | undefined) => (s === undefined ? undefined : parseRegister(s));

/** root/sys/class/iommu/dmar* /intel-iommu/{address,cap,ecap,version}. */
export function readIommuUnits(root: string): IommuUnit[] | undefined {
  const dir = join(root, 'sys/class/iommu');
  const names = listDir(dir);
  if (!names) return undefined;
  return names
    .filter((n) => /^dmar\d+$/.test(n))
    .sort((a, b) => +a.slice(4) - +b.slice(4))
    .map((name) => {
      const d = join(dir, name, 'intel-iommu');
      const u: IommuUnit = { name };
      const address = parseRegisterText(readText(join(d, 'address')));
      const cap = parseRegisterText(readText(join(d, 'cap')));
      const ecap = parseRegisterText(readText(join(d, 'ecap')));
      const version = readText(join(d, 'version'));
      if (address !== undefined) u.address = address;
      if (cap !== undefined) u.cap = cap;
      if (ecap !== undefined) u.ecap = ecap;
      if (version) u.version = version;
      return u;
    });
}

/** What a machine's facts lack, as every note says it (the skipped checks', topology's, the memory picture's). */
export const lacking = {
  // facts without a root are a boot log's (--dmesg alone)
  pci: (m: MachineFacts) =>
    m.root === undefined ? `no PCI tree in ${m.source} (a boot log has none: give --machine)` : `no PCI tree in ${m.source} (/sys/bus/pci/devices absent)`,
  memoryMap: (m: MachineFacts) =>
    m.unreadable?.memoryMap
      ? `the memory map of ${m.source} ${m.unreadable.memoryMap}`
      : m.root === undefined
        ? `no memory map in ${m.source} (no BIOS-e820 lines)`
        : `no memory map in ${m.source} (/sys/firmware/memmap absent; give a boot log with --dmesg)`,
  units: (m: MachineFacts) =>
    m.root === undefined
      ? `no Intel IOMMU unit in ${m.source} (no "dmarN: reg_base_addr" line: intel_iommu off, or no VT-d)`
      : `no Intel IOMMU unit in ${m.source} (/sys/class/iommu/dmar* absent: intel_iommu off, or no VT-d)`,
};

/**
 * The kernel release (proc/sys/kernel/osrelease), with the upstream stable patch
 * level from proc/version where a distribution names its kernels otherwise
 * (Debian's 5.10.0-18-amd64 is "Debian 5.10.140-1" there): the RMRR rule changed
 * in a stable release.
 */
export function readKernel(root: string): KernelVersion | undefined {
  const version = readText(join(root, 'proc/version')) ?? '';
  // osrelease, or when it is missing or no release, the one /proc/version names (`Linux version 5.10.0-18-amd64 ...`)
  const rel = readText(join(root, 'proc/sys/kernel/osrelease'));
  const k = (rel && parseKernelRelease(rel)) || parseKernelRelease(LINUX_VERSION.exec(version)?.[1] ?? '');
  return upstreamPatch(k, version);
}

/** Read every fact a machine root offers. */
export function readMachine(root: string, source: string): MachineFacts {
  const facts: MachineFacts = { source, root };
  const unreadable: NonNullable<MachineFacts['unreadable']> = {};
  // a capture that could not read some of the map's entries (as a user) holds a map with holes: an RMRR in
  // one would be judged not reserved, the firmware blamed for what the capture lacks
  const gaps = capturedFailures(root, '/sys/firmware/memmap/');
  if (gaps.length) {
    // "3/start: why" for each file: one "entry 3: why" for each entry
    const entries = new Map(gaps.map((g) => [g.slice(0, g.indexOf('/')), g.slice(g.indexOf(': ') + 2)]));
    unreadable.memoryMap = `was not captured whole (${listSome(
      [...entries].map(([n, why]) => `entry ${n}: ${why}`),
      3,
    )}; give a boot log with --dmesg)`;
  }
  const mm = gaps.length ? undefined : readSysfsMemmap(root);
  if (mm) facts.memoryMap = { ...mm, source: `${source}: /sys/firmware/memmap` };
  const pci = readPciTree(root);
  if (pci) facts.pci = pci;
  const units = readIommuUnits(root);
  if (units) facts.units = units;
  const madt = readAcpiTable(root, MADT_SIGNATURE);
  if (madt.bytes) {
    checkMadt(madt.bytes, join(root, 'sys/firmware/acpi/tables', MADT_SIGNATURE));
    facts.ioapics = madtIoapics(madt.bytes);
  }
  const hpet = readAcpiTable(root, HPET_SIGNATURE);
  const h = hpet.bytes && hpetInfo(hpet.bytes);
  if (h) facts.hpets = [h];
  if (madt.why) unreadable.MADT = madt.why;
  if (hpet.why) unreadable.HPET = hpet.why;
  if (Object.keys(unreadable).length) facts.unreadable = unreadable;
  const k = readKernel(root);
  if (k) facts.kernel = k;
  const cmdline = readText(join(root, 'proc/cmdline'));
  if (cmdline !== undefined) facts.cmdline = cmdline;
  return facts;
}

/**
 * The memory-map options of a kernel command line, as written: `memmap=...` and `mem=...` (but `mem=nopentium`,
 * which changes no map), before a `--` (what follows goes to init); undefined for none.
 */
export function mapEditsOf(cmdline: string | undefined): string[] | undefined {
  const out: string[] = [];
  for (const word of cmdline?.split(/\s+/) ?? []) {
    if (word === '--') break;
    const w = word.replace(/^"|"$/g, '');
    if (/^(memmap|mem)=/.test(w) && w !== 'mem=nopentium') out.push(word);
  }
  return out.length ? out : undefined;
}

/**
 * Said when the command line changed the kernel's memory map (memmap=, mem=) and the map judged is the
 * firmware's: /sys/firmware/memmap never shows those edits, and a boot log shows them as `user:` lines (a
 * log whose `user:` lines were grepped away does not). Undefined when the map is the one the kernel judged,
 * or no such option was given.
 */
export function mapEditsNote(m: MachineFacts): string | undefined {
  const map = m.memoryMap;
  const opts = map && map.lines !== 'user' ? mapEditsOf(m.cmdline) : undefined;
  if (!map || !opts) return undefined;
  const given = opts.join(' ');
  const them = opts.length > 1 ? 'them' : 'it';
  return map.origin === 'sysfs-memmap'
    ? `${m.source} booted with ${given}: /sys/firmware/memmap is the firmware's map without ${them}, not the map the kernel judged RMRRs against (its boot log's \`user:\` lines, --dmesg)`
    : `${map.source}: its command line has ${given}, but the log has no \`user:\` lines (the map after ${them}): judged against the firmware's map with the e820 edits the log shows`;
}

/**
 * The facts a boot log gives (for `--dmesg`): its BIOS-e820 memory map and kernel
 * release. Merged over `base` (a --machine capture) when both are given: the log's
 * map and kernel then win, being the boot that is being judged.
 */
export function withKernelLog(log: KernelLog, base?: MachineFacts): MachineFacts {
  const out: MachineFacts = base ? { ...base } : { source: log.source };
  if (log.memoryMap) {
    out.memoryMap = log.memoryMap;
    // the log's map is whole: what the machine's lacked no longer matters
    if (out.unreadable?.memoryMap) {
      const { memoryMap: _, ...rest } = out.unreadable;
      if (Object.keys(rest).length) out.unreadable = rest;
      else delete out.unreadable;
    }
    out.e820Edits = log.e820Updates.map(
      (u): MapEdit =>
        u.add
          ? { start: u.start, end: u.end, add: e820Kind(u.to) }
          : u.remove
            ? { start: u.start, end: u.end, remove: u.from ? e820Kind(u.from) : 'any' }
            : { start: u.start, end: u.end, from: e820Kind(u.from), to: e820Kind(u.to) },
    );
  }
  if (log.kernel) out.kernel = log.kernel;
  // the command line goes with the map: the log's boot's, or none known (not the capture's, another boot's)
  if (log.memoryMap) {
    if (log.commandLine !== undefined) out.cmdline = log.commandLine;
    else delete out.cmdline;
  } else if (log.commandLine !== undefined && !base?.memoryMap) out.cmdline = log.commandLine;
  return out;
}

/**
 * A boot log over a machine's facts (`--dmesg LOG`, or the dmesg.txt a capture
 * keeps): the log's memory map, kernel edits and kernel win (withKernelLog); the
 * IOMMU units it printed stand in when the machine shows none.
 */
export function withBootLog(log: KernelLog, base?: MachineFacts): MachineFacts {
  const facts = withKernelLog(log, base);
  const units = logUnits(log);
  if (!facts.units && units.length) facts.units = units;
  return facts;
}

/**
 * The facts of a machine as `--machine` names it: `live` (the running machine; DMAR_ROOT moves it) or a
 * capture directory `dmar capture` wrote. Throws a DmarError for a directory that is no capture, or a
 * capture whose files cannot be read as what they should be (DMAR-MACHINE-INVALID, DMAR-MADT-INVALID).
 */
export function machineFacts(spec: string): MachineFacts {
  const root = machineRoot(spec);
  return spec === 'live' ? readMachine(root, 'this machine') : readCapture(spec, root, `capture ${spec}`);
}

/** A capture directory's facts: its root/, then the kernel log `dmar capture` kept beside it (dmesg.txt), when it did. */
export function readCapture(dir: string, root: string, source: string): MachineFacts {
  const facts = readMachine(root, source);
  const log = join(dir, 'dmesg.txt');
  return existsSync(log) ? withBootLog(readKernelLog(log), facts) : facts;
}
