/**
 * A Linux kernel log, as people paste it: `dmesg` (with or without
 * `[    1.234567]` timestamps, `dmesg -T`, `dmesg -x`), `journalctl -k` and
 * syslog (`Mon DD HH:MM:SS host kernel: `, ISO dates), `<N>` priorities.
 *
 * What it yields: the firmware memory map (BIOS-e820 lines), the kernel
 * version (`Linux version X`), the command line, and every DMAR / DMAR-IR /
 * intel-iommu line classified into a typed event. Nothing here decides what a
 * line means for the firmware (log-explain.ts does); this only reads.
 *
 * Message formats are Linux's (drivers/iommu/intel/dmar.c, iommu.c,
 * irq_remapping.c, arch/x86/include/asm/iommu.h, arch/x86/kernel/e820.c),
 * old and new: fault lines changed in 5.x (PASID, `0x` reason codes; before,
 * the reason was printed `%02d`, in decimal) and the e820 lines in 3.x
 * (`[mem A-B]` inclusive; before, `A - B (type)` with B exclusive).
 */
import { DmarError, excerpt } from '../dmar/errors.js';
import { readInputBytes, utf16Encoding } from '../io/input.js';
import { e820Kind, MAX_ADDRESS } from './memmap.js';
import type { IommuUnit, KernelVersion, MemoryMap, MemRegion } from './types.js';
import { ALL_ONES } from './vtd-regs.js';

/** One line of the log, its prefixes taken off. */
export interface LogLine {
  /** 1-based line number in the input. */
  line: number;
  /** The line as given (not escaped: escape before printing). */
  raw: string;
  /** The kernel's message: timestamps, host and `kernel:` prefixes removed. */
  text: string;
  /** `[    1.234567]` seconds since boot, when the line has them. */
  seconds?: number;
  /** Longer than MAX_LOG_LINE: `text` is of its first MAX_LOG_LINE characters, and no message shape is tried on it. */
  tooLong?: true;
}

/**
 * `Nov 25 10:00:00` (`journalctl -o short-precise`: `.123456`), `oct. 13 21:14:33` (localised month), an ISO 8601
 * date, or `journalctl -o short-full`'s `Mon 2023-09-15 14:07:45 CEST`.
 */
const SYSLOG_DATE = String.raw`(?:[^\s\d\[]{3,8} +\d{1,2} +\d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?|[A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+)`;
const SYSLOG = new RegExp(String.raw`^${SYSLOG_DATE} +\S+ +kernel: ?`);
/** `dmesg --time-format=iso`: `2023-09-15T14:07:45,123456+02:00 ` and the message, no host. */
const ISO_STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d) /;
/** `dmesg -x`: `kern  :info  : `. */
const FACILITY = /^[a-z]+ *:[a-z]+ *: /;
/**
 * `[    1.234567]`, `dmesg -T`'s `[Mon Nov 25 10:00:00 2024]`, and `dmesg -H`'s `[Sep15 14:07]` and
 * `[  +0.000005]` (time since the line before: no seconds since boot).
 */
const STAMP = /^\[ *(\d+\.\d+)\] ?|^\[[A-Z][a-z]{2} [A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \d{4}\] ?|^\[[A-Z][a-z]{2}\d{1,2} \d\d:\d\d\] ?|^\[ *\+\d+\.\d+\] ?/;
/** A serial-console logger's wall-clock stamp before the kernel's (`[2017-10-23 09:08:16.318] `). */
const WALLCLOCK = /^\[\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?\] ?/;
/** printk caller ID (`[    T1]`, `[  C3]`). */
const CALLER = /^\[ *[TC]\d+\] ?/;
/**
 * The kernel's own stamp (`[%5lu.%06lu]`) after a prefix of a serial console's or a test rig's (`host # `,
 * `ttyS0 | `, a logger's date in a form of its own): sought in a line's first INNER_STAMP_WITHIN characters
 * when no known prefix was there.
 */
const INNER_STAMP = /\[ *(\d+\.\d{6})\] ?/;
const INNER_STAMP_WITHIN = 96;
/**
 * Another program's line of a syslog file (`Nov 25 10:05:00 host firecracker[1234]: `): a guest's console
 * relayed there has the kernel's stamps too, but they are no line of this machine's kernel.
 */
const OTHER_PROGRAM = new RegExp(String.raw`^${SYSLOG_DATE} +\S+ +[^\s:]+: `);

/**
 * The longest line read as a kernel message. printk keeps a record's text under
 * 1 KiB (2 KiB in newer kernels), and a prefix adds tens of characters: a longer
 * line is none, and matching its text against every message shape would cost
 * time growing with its square (a crafted log of a few lines would not end).
 */
export const MAX_LOG_LINE = 4096;

/** `s` without the carriage returns it ends with. */
function withoutTrailingCr(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 13) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Splits the log into lines and takes their prefixes off; a line over MAX_LOG_LINE is cut there (tooLong). */
export function logLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  // `\r\r\n` too (serial captures): each line's trailing CRs taken off by a loop, not by a regex, which
  // would scan every run of CRs again from each of its CRs (a log of one long run would not end)
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const raw = withoutTrailingCr(line);
    const tooLong = raw.length > MAX_LOG_LINE;
    // leading blanks: a pasted log's indent, and dmesg's for the later lines of a record of several
    let t = withoutTrailingCr(tooLong ? raw.slice(0, MAX_LOG_LINE) : raw)
      .trimStart()
      .replace(/^<\d+>/, '');
    t = t.replace(SYSLOG, '').replace(ISO_STAMP, '').replace(FACILITY, '').replace(WALLCLOCK, '');
    let seconds: number | undefined;
    const m = STAMP.exec(t);
    if (m) {
      if (m[1] !== undefined) seconds = Number(m[1]);
      t = t.slice(m[0].length);
    } else {
      const inner = OTHER_PROGRAM.test(t) ? null : INNER_STAMP.exec(t.length > INNER_STAMP_WITHIN ? t.slice(0, INNER_STAMP_WITHIN) : t);
      // a stamp that ends the line is no prefix's end: there is no message after it
      if (inner && inner.index + inner[0].length < t.length) {
        seconds = Number(inner[1]);
        t = t.slice(inner.index + inner[0].length);
      }
    }
    // `journalctl -o short-monotonic` keeps the host and `kernel: ` after the stamp, and some tools `kernel: ` alone.
    t = t.replace(CALLER, '').replace(/^(?:\S+ )?kernel: /, '');
    const l: LogLine = { line: i + 1, raw, text: t };
    if (seconds !== undefined) l.seconds = seconds;
    if (tooLong) l.tooLong = true;
    out.push(l);
  });
  return out;
}

// ---------------------------------------------------------------------------
// Memory map

export { e820Kind };

/** A hex number as the kernel prints it, with or without `0x`. */
const hexBig = (s: string) => BigInt(s.startsWith('0x') || s.startsWith('0X') ? s : '0x' + s);
/**
 * `BIOS-e820: [mem 0x...-0x...] type` (3.x and later; end inclusive); the same with `extended:`, the firmware's
 * whole map when it has more than 128 entries (e820__memory_setup_extended() prints it after the first 128);
 * and with `user:`, the map after the command line's `memmap=` and `mem=` (e820__finish_early_params() prints
 * it under "user-defined physical RAM map:").
 */
const E820_NEW = /^(BIOS-e820|extended|user): \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\] +(\S.*)$/;
/** ` BIOS-e820: 0000000000000000 - 000000000009f800 (usable)`, ` user: ...` (2.6; end exclusive). */
const E820_OLD = /^ ?(BIOS-e820|extended|user): ([0-9a-fA-F]{8,16}) - ([0-9a-fA-F]{8,16}) \((.+)\)\s*$/;
type MapWho = 'BIOS-e820' | 'extended' | 'user';

/** One BIOS-e820 line as a region, or undefined when the line is not one. */
export function parseE820Line(text: string): MemRegion | undefined {
  const r = e820Line(text);
  return r?.who === 'BIOS-e820' ? r.region : undefined;
}

/** One line of a map the kernel printed: the firmware's (`BIOS-e820`, `extended`) or the one after the command line's edits (`user`). */
function e820Line(text: string): { who: MapWho; region: MemRegion } | undefined {
  let m = E820_NEW.exec(text);
  if (m) {
    // trailing blanks off by trimEnd, not by the pattern (`(.+?)\s*$` takes time growing with the square of a run of blanks)
    const type = m[4]!.trimEnd();
    return { who: m[1] as MapWho, region: { start: BigInt(m[2]!), end: BigInt(m[3]!), kind: e820Kind(type), type } };
  }
  m = E820_OLD.exec(text);
  if (m) {
    const type = m[4]!;
    // the end is exclusive here: an end at or below the start gives an inverted range, which the caller refuses
    return { who: m[1] as MapWho, region: { start: hexBig(m[2]!), end: hexBig(m[3]!) - 1n, kind: e820Kind(type), type } };
  }
  return undefined;
}

/**
 * The kernel changing the firmware's map: `e820: update [mem 0x00000000-0x00000fff] usable ==> reserved`
 * (e820__range_update), or with `add`, `Reserving Intel graphics memory at [mem A-B]` (the early quirk
 * intel_graphics_stolen(): e820__range_add(reserved), and e820__update_table() keeps the stronger type
 * where entries overlap).
 */
export interface E820Update {
  line: number;
  start: bigint;
  end: bigint;
  from: string;
  to: string;
  add?: true;
  /** `e820: remove [mem A-B] TYPE` (e820__range_remove(); EFI's removal of MMIO ranges): the range of `from` (any type when empty) becomes a hole. */
  remove?: true;
}

const E820_UPDATE = /^e820: update \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\] (.+?) ==> (.*)$/;
const E820_REMOVE = /^e820: remove \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\] ?(.*)$/;
const GRAPHICS_STOLEN = /^Reserving Intel graphics memory at \[mem (0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]/;

// ---------------------------------------------------------------------------
// Kernel version and command line

/** `Linux version 6.8.0-45-generic (buildd@...) ...` (a boot log's line, and /proc/version) -> the release. */
export const LINUX_VERSION = /^Linux version (\S+)/;

/** A release string (uname -r) -> its numbers; undefined when it does not start with N.N. */
export function parseKernelRelease(release: string): KernelVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) return undefined;
  return { release, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

/**
 * Debian and Ubuntu name their kernels `5.10.0-18-amd64`, `5.15.0-52-generic`;
 * the upstream stable release is further on the `Linux version` line
 * (`Debian 5.10.140-1`, `(Ubuntu 5.15.0-52.58-generic 5.15.60)`). Rules that
 * changed in a stable release (the RMRR NVS backport) need that patch level.
 */
export function upstreamPatch(k: KernelVersion | undefined, line: string): KernelVersion | undefined {
  if (!k) return k;
  // The compiler's version comes first on the line (`gcc-10 (Debian 10.2.1-6)`): take the one of this kernel's major.minor.
  const all = [...line.matchAll(/\bDebian (\d+)\.(\d+)\.(\d+)/g), ...line.matchAll(/\(Ubuntu [^)]* (\d+)\.(\d+)\.(\d+)\)/g)];
  const m = all.find((x) => Number(x[1]) === k.major && Number(x[2]) === k.minor);
  return m ? { ...k, patch: Math.max(k.patch, Number(m[3])) } : k;
}

// ---------------------------------------------------------------------------
// DMAR lines

/** The log prefix that marks a line as the VT-d drivers' (pr_fmt), or a known message without one. */
export type DmarSubsystem = 'DMAR' | 'DMAR-IR' | 'intel-iommu' | 'INTR-REMAP' | 'IOMMU' | 'device' | 'x2apic';

/** What a DMAR line says, as data. Addresses are as printed. */
export type DmarEvent =
  /** `No firmware reserved region can cover this RMRR [A-B]` (arch_rmrr_sanity_check, 5.6+). */
  | { kind: 'rmrr-not-reserved'; start: bigint; end: bigint; firmwareBug: true }
  /** `Your BIOS is broken; bad RMRR [A-B]` (rmrr_sanity_check / WARN_TAINT, 5.6+). */
  | { kind: 'bad-rmrr'; start: bigint; end: bigint; firmwareBug: true }
  /** `RMRR entry for device BB:DD.F is broken - applying workaround` (dmar_match_pci_path). */
  | { kind: 'rmrr-path-broken'; device: string; firmwareBug: true }
  /** `Your BIOS is broken; DMAR reported at address X[ returns all ones]!` (warn_invalid_dmar). */
  | { kind: 'drhd-invalid-address'; address: bigint; allOnes: boolean; firmwareBug: true }
  /** `Your BIOS is broken; RHSA refers to non-existent DMAR unit at X`. */
  | { kind: 'rhsa-no-drhd'; address: bigint; firmwareBug: true }
  /** `Your BIOS is broken; ANDD object name is not NUL-terminated`. */
  | { kind: 'andd-unterminated'; firmwareBug: true }
  /** `No DRHD structure found in DMAR table`. */
  | { kind: 'no-drhd'; firmwareBug: true }
  /** `Record passes table end`. */
  | { kind: 'record-past-end'; firmwareBug: true }
  /** `Invalid 0-length structure`. */
  | { kind: 'zero-length'; firmwareBug: true }
  /** `ioapic N has no mapping iommu, interrupt remapping will be disabled`. */
  | { kind: 'ioapic-no-iommu'; ioapic: number; firmwareBug: true }
  /** `Device scope type does not match for 0000:00:1f.0`. */
  | { kind: 'scope-type-mismatch'; device: string; firmwareBug: boolean }
  /** `Device scope device [0000:00:1f.07] not found` / `Device scope bus [N] not found` (before 3.15). */
  | { kind: 'scope-not-found'; device: string; firmwareBug: boolean }
  /** `Unsupported device scope`. */
  | { kind: 'scope-unsupported'; firmwareBug: boolean }
  /** `Invalid DMAR haw`. */
  | { kind: 'invalid-haw'; firmwareBug: boolean }
  /** `This system BIOS has enabled interrupt remapping on a chipset that contains an erratum ...`. */
  | { kind: 'ir-erratum'; firmwareBug: true }
  /** Any other `[Firmware Bug]` line of these drivers. */
  | { kind: 'firmware-bug'; firmwareBug: true }
  /** `dmarN: reg_base_addr X ver M:N cap C ecap E`. */
  | { kind: 'unit'; unit: string; base: bigint; version: string; cap: bigint; ecap: bigint }
  /** `DRHD base: 0x... flags: 0x...`. */
  | { kind: 'drhd'; base: bigint; flags: number }
  /** `RMRR base: 0x... end: 0x...`. */
  | { kind: 'rmrr'; start: bigint; end: bigint }
  /** `ATSR flags: 0x...`, `RHSA base: ... proximity domain: ...`, `SATC flags: ...`, `ANDD device: ...`. */
  | { kind: 'structure'; structure: 'ATSR' | 'RHSA' | 'SATC' | 'ANDD' }
  /** `Host address width N`. */
  | { kind: 'haw'; width: number }
  /** `IOAPIC id N under DRHD base 0x... IOMMU M` / `HPET id N under DRHD base 0x...`. */
  | { kind: 'ir-scope'; device: 'IOAPIC' | 'HPET'; id: number; base: bigint }
  /** `Enabled IRQ remapping in x2apic|xapic mode`. */
  | { kind: 'ir-enabled'; mode: string }
  /** `Not enabling interrupt remapping`, `Failed to enable irq remapping. You are vulnerable to irq-injection attacks.` */
  | { kind: 'ir-disabled' }
  /** `x2apic is disabled because BIOS sets x2apic opt out bit.` */
  | { kind: 'x2apic-optout' }
  /** `x2apic: IRQ remapping doesn't support X2APIC mode` (try_to_enable_x2apic, arch/x86/kernel/apic/apic.c). */
  | { kind: 'x2apic-off' }
  /** `dmarN does not support EIM`. */
  | { kind: 'no-eim'; unit: string }
  /** `DRHD: handling fault status reg N`. */
  | { kind: 'fault-status'; status: number }
  /** `dmar_fault: N callbacks suppressed`: the rate limit hid N fault messages. */
  | { kind: 'faults-suppressed'; count: number }
  /**
   * An invalidation queue error (qi_check_fault(), qi_dump_fault()): `VT-d detected Invalidation Time-out Error: SID
   * 5300` (`sid`: the source ID the unit recorded, 5.x on), `... Queue Error: Reason f` (`info`: the IQEI field), the older
   * `VT-d detected invalid descriptor: ...` (an IQE), and `Invalidation Time-out Error (ITE) cleared` (`cleared`).
   */
  | { kind: 'qi-error'; error: 'IQE' | 'ITE' | 'ICE'; sid?: number; info?: number; cleared?: boolean }
  /** `QI HEAD: Device-TLB Invalidation qw0 = 0x..., qw1 = 0x...` (and `QI PRIOR:`): the descriptor an invalidation queue error concerns. */
  | { kind: 'qi-descriptor'; which: 'head' | 'prior'; type: string; qw0: bigint; qw1: bigint }
  /** A DMA remapping fault (every format since 2.6). `reason` is undefined when the reason came on a line of its own. */
  | {
      kind: 'dma-fault';
      access: 'read' | 'write' | 'page' | 'unknown';
      pasid?: number;
      /** A PASID wider than the 32 bits a kernel prints (a damaged log), as printed; `pasid` is then undefined. */
      pasidPrinted?: string;
      device: string;
      address: bigint;
      reason?: number;
      /** A reason no kernel prints (wider than 8 bits), as printed. */
      reasonPrinted?: string;
      reasonText?: string;
    }
  /** An interrupt remapping fault. */
  | { kind: 'intr-fault'; device: string; index: bigint; reason?: number; reasonPrinted?: string; reasonText?: string }
  /** `DMAR:[fault reason 06] text` (before 3.x, the reason on its own line): joined to the fault before it. */
  | { kind: 'fault-reason'; reason?: number; reasonPrinted?: string; reasonText: string }
  /** `Device is ineligible for IOMMU domain attach due to platform RMRR requirement` (vfio, 5.3+). */
  | { kind: 'rmrr-locked'; device?: string }
  /** `Intel(R) Virtualization Technology for Directed I/O`, `IOMMU enabled`, `Using Queued invalidation`, ...: known, nothing to explain. */
  | { kind: 'info'; what: string }
  /** A line of these drivers this reader does not know. */
  | { kind: 'unrecognised' };

export interface DmarLine {
  /** 1-based line number in the input. */
  line: number;
  raw: string;
  /** The message, prefixes off, subsystem prefix included. */
  text: string;
  subsystem: DmarSubsystem;
  event: DmarEvent;
  /** Which boot of the log (1-based, counted by `Linux version` lines; 0 before the first). */
  boot: number;
  /** Lines that belong to this message (the `BIOS vendor: ...` line after a `Your BIOS is broken` one). */
  continuation?: string[];
}

/** A kernel log read: what the machine context needs. */
export interface KernelLog {
  source: string;
  /**
   * How its bytes became text: `utf-8` (valid UTF-8, as the kernel and dmesg
   * write; UTF-16 with a byte-order mark is decoded and counted here too), or `latin1`, one character per byte, for anything else (and a
   * string given to parseKernelLog, unless it says otherwise).
   */
  encoding: 'utf-8' | 'latin1';
  lines: number;
  /**
   * The BIOS-e820 map of the (last) boot in the log that printed one; the `user:` map instead when that boot
   * printed one (the command line's memmap= or mem= changed the firmware's).
   */
  memoryMap?: MemoryMap;
  /** `e820: update` lines of that boot (after its `user:` map, when it printed one): what the kernel itself changed. */
  e820Updates: E820Update[];
  kernel?: KernelVersion;
  commandLine?: string;
  /** How many boots the log holds (`Linux version` lines). */
  boots: number;
  /**
   * The boot (as DmarLine.boot counts them) whose facts these are, all of one boot: its memory map, kernel,
   * command line and units. The last boot that printed a memory map, else the last boot.
   */
  factsBoot: number;
  dmar: DmarLine[];
}

/** Prefix of a line that concerns the VT-d drivers (pr_fmt of dmar.c, iommu.c, irq_remapping.c; older spellings). */
const SUBSYSTEM = /^(DMAR-IR|DMAR|dmar|INTR-REMAP|intel-iommu|IOMMU|Intel-IOMMU) ?: ?/;
/**
 * A device refused to VFIO for its RMRR (a direct mapping firmware asked for): the VT-d driver's words
 * (3.17 on), then the IOMMU core's ("iommu: Prevent RESV_DIRECT devices from blocking domains", 2023).
 */
const RMRR_LOCKED =
  /Device is ineligible for IOMMU domain attach due to platform RMRR requirement|Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping/;
/** A device-prefixed message (`vfio-pci 0000:01:00.0: `, `pci 0000:00:02.0: DMAR: `). */
const DEVICE_PREFIX = /^(\S+) ([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): (?:DMAR: )?/;

const FW_BUG = /^\[Firmware Bug\]: ?/;
const NUM = '(0x[0-9a-fA-F]+|[0-9a-fA-F]+)';
/** A fault reason as printed: `0x%02x` (5.x on), or `%02d` decimal before. */
const REASON = '(0x[0-9a-fA-F]+|\\d+)';
/**
 * The reason's code. The field is 8 bits (dmar_fault_do_one's u8): a wider number is no reason a kernel printed
 * (a damaged or foreign log), kept as printed (`reasonPrinted`), never read as a double that loses digits.
 */
function setReason(e: { reason?: number; reasonPrinted?: string; reasonText?: string }, printed: string, text: string): void {
  const hex = printed.startsWith('0x');
  const digits = hex ? printed.slice(2).replace(/^0+/, '') : printed.replace(/^0+/, '');
  const code = digits.length > 3 ? Number.NaN : hex ? parseInt(printed, 16) : parseInt(printed, 10);
  if (code <= 0xff) e.reason = code;
  else e.reasonPrinted = printed;
  e.reasonText = text.trim();
}

/** `[0x...-0x...]`; a proposed variant names the e820 type first (`[ACPI NVS: 0x...-0x...]`). */
/** `00:02.0`; some kernels print `0x00:0x02.0`. */
/** The older glued prefix a reason pasted onto its fault's line keeps (`... fault addr 37ae5000 DMAR:[fault reason 02] ...`). */
const GLUED = '(?:DMAR:|INTR-REMAP:)?';
const QI_ERRORS: Record<string, 'IQE' | 'ITE' | 'ICE'> = { Queue: 'IQE', 'Time-out': 'ITE', Completion: 'ICE' };
const BDF = String.raw`((?:0x)?[0-9a-f]{2}:(?:0x)?[0-9a-f]{2}\.[0-7])`;
const plainBdf = (s: string) => s.replace(/0x/g, '');

const RANGE = String.raw`\[(?:[^:\]]+: )?(0x[0-9a-fA-F]+)-(0x[0-9a-fA-F]+)\]`;

/** The `[DMA Read NO_PASID]` access type. */
function access(word: string): 'read' | 'write' | 'page' | 'unknown' {
  const w = word.toLowerCase();
  if (w.includes('read')) return 'read';
  if (w.includes('write')) return 'write';
  if (w.includes('page')) return 'page';
  return 'unknown';
}

/** Every message shape this reader knows, tried in order on the text after the subsystem prefix. */
const MATCHERS: Array<[RegExp, (m: RegExpExecArray) => DmarEvent]> = [
  [
    new RegExp(`No firmware reserved region can cover this RMRR ${RANGE}`),
    (m) => ({ kind: 'rmrr-not-reserved', start: BigInt(m[1]!), end: BigInt(m[2]!), firmwareBug: true }),
  ],
  [new RegExp(`Your BIOS is broken; bad RMRR ${RANGE}`), (m) => ({ kind: 'bad-rmrr', start: BigInt(m[1]!), end: BigInt(m[2]!), firmwareBug: true })],
  [/RMRR entry for device ([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) is broken/, (m) => ({ kind: 'rmrr-path-broken', device: m[1]!, firmwareBug: true })],
  [
    new RegExp(`Your BIOS is broken; DMAR reported at address ${NUM}( returns all ones)?`),
    (m) => ({ kind: 'drhd-invalid-address', address: hexBig(m[1]!), allOnes: m[2] !== undefined, firmwareBug: true }),
  ],
  [new RegExp(`RHSA refers to non-existent DMAR unit at ${NUM}`), (m) => ({ kind: 'rhsa-no-drhd', address: hexBig(m[1]!), firmwareBug: true })],
  [/ANDD object name is not NUL-terminated/, () => ({ kind: 'andd-unterminated', firmwareBug: true })],
  [/No DRHD structures? (?:found in DMAR table|in buffer returned by _DSM method)/, () => ({ kind: 'no-drhd', firmwareBug: true })],
  [/Record passes table end/, () => ({ kind: 'record-past-end', firmwareBug: true })],
  [/Invalid 0-length structure/, () => ({ kind: 'zero-length', firmwareBug: true })],
  [/ioapic (\d+) has no mapping iommu/, (m) => ({ kind: 'ioapic-no-iommu', ioapic: Number(m[1]), firmwareBug: true })],
  [/Device scope type does not match for (\S+)/, (m) => ({ kind: 'scope-type-mismatch', device: m[1]!, firmwareBug: false })],
  [/Device scope (?:device \[([^\]]+)\]|bus \[(\d+)\]) not found/, (m) => ({ kind: 'scope-not-found', device: m[1] ?? `bus ${m[2]}`, firmwareBug: false })],
  [/Unsupported device scope/, () => ({ kind: 'scope-unsupported', firmwareBug: false })],
  [/Invalid DMAR haw/, () => ({ kind: 'invalid-haw', firmwareBug: false })],
  [
    /interrupt remapping on a chipset that contains an erratum|This system BIOS has enabled interrupt remapping/,
    () => ({ kind: 'ir-erratum', firmwareBug: true }),
  ],
  [
    new RegExp(`^(dmar\\d+): reg_base_addr ${NUM} ver (\\d+:\\d+) cap ${NUM} ecap ${NUM}`),
    (m) => ({ kind: 'unit', unit: m[1]!, base: hexBig(m[2]!), version: m[3]!, cap: hexBig(m[4]!), ecap: hexBig(m[5]!) }),
  ],
  // 3.x: `IOMMU 0: reg_base_addr ...`, the unit Linux later names dmar0 (iommu->seq_id)
  [
    new RegExp(`^IOMMU (\\d+): reg_base_addr ${NUM} ver (\\d+:\\d+) cap ${NUM} ecap ${NUM}`),
    (m) => ({ kind: 'unit', unit: `dmar${m[1]!}`, base: hexBig(m[2]!), version: m[3]!, cap: hexBig(m[4]!), ecap: hexBig(m[5]!) }),
  ],
  [/^DRHD base: (0x[0-9a-fA-F]+) flags: (0x[0-9a-fA-F]+)/, (m) => ({ kind: 'drhd', base: BigInt(m[1]!), flags: Number(m[2]) })],
  [/^RMRR base: (0x[0-9a-fA-F]+) end: (0x[0-9a-fA-F]+)/, (m) => ({ kind: 'rmrr', start: BigInt(m[1]!), end: BigInt(m[2]!) })],
  [/^(ATSR|RHSA|SATC) (?:flags|base)/, (m) => ({ kind: 'structure', structure: m[1] as 'ATSR' | 'RHSA' | 'SATC' })],
  [/^ANDD device/, () => ({ kind: 'structure', structure: 'ANDD' })],
  [/^Host address width (\d+)/, (m) => ({ kind: 'haw', width: Number(m[1]) })],
  [
    new RegExp(`^(IOAPIC|HPET) id (\\d+) under DRHD base +${NUM}`),
    (m) => ({ kind: 'ir-scope', device: m[1] as 'IOAPIC' | 'HPET', id: Number(m[2]), base: hexBig(m[3]!) }),
  ],
  [/Enabled IRQ remapping in (\S+) mode/, (m) => ({ kind: 'ir-enabled', mode: m[1]! })],
  [/x2apic is disabled because BIOS sets x2apic opt out bit/, () => ({ kind: 'x2apic-optout' })],
  [/^IRQ remapping doesn't support X2APIC mode/, () => ({ kind: 'x2apic-off' })],
  [/^(?:Not enabling interrupt remapping|Not enable interrupt remapping|Failed to enable irq remapping)/, () => ({ kind: 'ir-disabled' })],
  [/^(dmar\d+) does not support EIM/, (m) => ({ kind: 'no-eim', unit: m[1]! })],
  [/DRHD: handling fault status reg ([0-9a-fA-F]+)/, (m) => ({ kind: 'fault-status', status: parseInt(m[1]!, 16) })],
  [/^dmar_fault: (\d+) callbacks suppressed/, (m) => ({ kind: 'faults-suppressed', count: Number(m[1]) })],
  // 5.x-6.x: [DMA Read NO_PASID] Request device [00:02.0] fault addr 0x... [fault reason 0x06] text
  // 5.2-5.12: [DMA Read] Request device [00:02.0] PASID ffffffff fault addr ... [fault reason 06] text
  // 3.x-5.1: [DMA Read] Request device [00:02.0] fault addr ... [fault reason 06] text
  // 2.6-3.x: [DMA Read] Request device [00:02.0] fault addr ...   (reason on the next line)
  [
    new RegExp(
      `^\\[(DMA \\w+|PAGE REQ|Unknown)(?: (?:NO_PASID|PASID ${NUM}))?\\] ?Request device \\[${BDF}\\](?: PASID ${NUM})? fault addr ${NUM}(?=\\s|\\[|$)(?: *${GLUED}\\[fault reason ${REASON}\\] ?(.*))?`,
    ),
    (m) => {
      const e: DmarEvent = { kind: 'dma-fault', access: access(m[1]!), device: plainBdf(m[3]!), address: hexBig(m[5]!) };
      const pasid = m[2] ?? m[4];
      if (pasid !== undefined && !/^f{8}$/i.test(pasid)) {
        const v = hexBig(pasid);
        if (v > 0xffffffffn) e.pasidPrinted = pasid;
        else e.pasid = Number(v);
      }
      if (m[6] !== undefined) setReason(e, m[6], m[7]!);
      return e;
    },
  ],
  // [INTR-REMAP] Request device [f0:1f.0] fault index 0x... [fault reason 0x25] text  (and older: index without 0x, reason in decimal or on the next line)
  [
    new RegExp(`^(?:\\[INTR-REMAP\\] )?Request device \\[+${BDF}\\] fault index ${NUM}(?=\\s|\\[|$)(?: *${GLUED}\\[fault reason ${REASON}\\] ?(.*))?`),
    (m) => {
      const e: DmarEvent = { kind: 'intr-fault', device: plainBdf(m[1]!), index: hexBig(m[2]!) };
      if (m[3] !== undefined) setReason(e, m[3], m[4]!);
      return e;
    },
  ],
  [
    new RegExp(`^\\[fault reason ${REASON}\\] ?(.*)`),
    (m) => {
      const e: DmarEvent = { kind: 'fault-reason', reasonText: '' };
      setReason(e, m[1]!, m[2]!);
      return e;
    },
  ],
  [RMRR_LOCKED, () => ({ kind: 'rmrr-locked' })],
  // 5.x on (qi_dump_fault): the error, its source ID or IQEI in hex, then the descriptors at and before the queue head
  [
    /^VT-d detected Invalidation (Queue|Time-out|Completion) Error: (Reason|SID) ([0-9a-fA-F]{1,4})\s*$/,
    (m) => {
      const error = QI_ERRORS[m[1]!]!;
      const v = parseInt(m[3]!, 16);
      return m[2] === 'SID' ? { kind: 'qi-error', error, sid: v } : { kind: 'qi-error', error, info: v };
    },
  ],
  // before 5.x: the descriptor the queue stopped at, with an IQE
  [/^VT-d detected invalid descriptor/, () => ({ kind: 'qi-error', error: 'IQE' })],
  [/^Invalidation (?:Queue|Time-out|Completion) Error \((IQE|ITE|ICE)\) cleared/, (m) => ({ kind: 'qi-error', error: m[1] as 'IQE', cleared: true })],
  [
    /^QI (HEAD|PRIOR): (.+?) qw0 = (0x[0-9a-fA-F]{1,16}), qw1 = (0x[0-9a-fA-F]{1,16})\s*$/,
    (m) => ({ kind: 'qi-descriptor', which: m[1] === 'HEAD' ? 'head' : 'prior', type: m[2]!, qw0: hexBig(m[3]!), qw1: hexBig(m[4]!) }),
  ],
  [/./, (m) => ({ kind: 'info', what: m.input })],
];

/** Messages known to carry nothing to explain beyond "the driver is working"; anything else of these drivers is listed as unrecognised. */
const INFO = [
  /^Intel\(R\) Virtualization Technology for Directed I\/O/,
  /^IOMMU enabled/,
  /^Using Queued invalidation/,
  /^Queued invalidation will be enabled/,
  /^dmar\d+: Using Queued invalidation/,
  /^Setting RMRR/,
  /^Setting identity map/,
  /^Prepare 0-16MiB unity mapping/,
  /^Disabling IOMMU/,
  /^Use 'intremap=no_x2apic_optout'/,
  /^Not enabling interrupt remapping/,
  /^Failed to enable irq remapping/,
  /^No ATSR found/,
  /^No SATC found/,
  /^dmar\d+: SVM is enabled/,
  /^IR\d+: /,
  /^Copied IR table/,
  /^IRQ remapping was enabled/,
  /^DMAR table not found/,
  /^Parse DMAR table failure/,
  /^No DMAR devices found/,
  /^Can't map the region/,
  /^Failed to map dmar\d+/,
  /^Host address width/,
  /^Default domain type/,
  /^Disable GFX device mapping/,
  /^Skip IOMMU disabling for graphics/,
  /^Intel-IOMMU force enabled due to platform opt in/,
  /^Forcing Intel-IOMMU to enabled/,
  /^Disable batched IOTLB flush/,
  /^ACPI device ".*" under DMAR/,
  /^Translation (?:was )?(?:enabled|disabled)/,
  /^dmar\d+: No supported address widths/,
  /^PCI-DMA:/,
  /^Queued invalidation/,
  /^Enabled IRQ remapping/,
  /^dmar\d+: Posted Interrupt/,
  /^dmar_hpet_id/,
  /^RMRR base/,
  /^DRHD base/,
  /^HPET id/,
  /^IOAPIC id/,
  /^DRHD \w+: failed to enable fault/,
  /^No RMRR found/,
  /^dmar\d+: Using Register based invalidation/,
  /^IOMMU batching disallowed due to virtualization/,
  /^Translation already enabled/,
  /^Enable scalable mode if hardware supports/,
  /^IOMMU feature \S+ inconsistent/,
  /^enabled$/,
  /^IOMMU \d+ 0x[0-9a-fA-F]+: using (?:Queued|Register based) invalidation/,
  /^BIOS has allocated no shadow GTT; disabling IOMMU for graphics/,
  /^Disabling IOMMU for graphics on this chipset/,
  /^Forcing write-buffer flush capability/,
];

function classifyLine(text: string, rest: string): DmarEvent {
  const fw = FW_BUG.test(rest);
  const body = rest.replace(FW_BUG, '');
  for (const [re, make] of MATCHERS) {
    const m = re.exec(body);
    if (!m) continue;
    const e = make(m);
    if (e.kind === 'info') {
      if (fw) return { kind: 'firmware-bug', firmwareBug: true };
      return INFO.some((i) => i.test(body)) ? e : { kind: 'unrecognised' };
    }
    if (fw && 'firmwareBug' in e) (e as { firmwareBug: boolean }).firmwareBug = true;
    return e;
  }
  void text;
  return { kind: 'unrecognised' };
}

/** The line's subsystem and the text after its prefix, or undefined when the line is not the VT-d drivers'. */
function dmarPrefix(text: string): { subsystem: DmarSubsystem; rest: string; device?: string } | undefined {
  const m = SUBSYSTEM.exec(text);
  if (m) {
    const p = m[1]!;
    // 3.x dmar.c's pr_fmt was KBUILD_MODNAME, `dmar: ` (4.1 made it `DMAR: `)
    const subsystem: DmarSubsystem = p === 'Intel-IOMMU' ? 'intel-iommu' : p === 'dmar' ? 'DMAR' : (p as DmarSubsystem);
    // 4.x printed the old glued fault prefix after pr_fmt's: `DMAR: DMAR:[DMA Read] ...`
    // and the one of 3.x-4.x interrupt remapping faults after it: `DMAR: INTR-REMAP: Request device [[f0:1f.0] ...`
    return { subsystem, rest: text.slice(m[0].length).replace(/^(?:DMAR|INTR-REMAP):(?=\[)|^INTR-REMAP: (?=Request device)/, '') };
  }
  // Older fault lines glued the prefix: `DMAR:[DMA Read] ...`, `INTR-REMAP:[fault reason 34] ...`.
  const glued = /^(DMAR|INTR-REMAP):(?=\[)/.exec(text);
  if (glued) return { subsystem: glued[1] as DmarSubsystem, rest: text.slice(glued[0].length) };
  // WARN_TAINT() (4.x-5.5) printed these without the pr_fmt prefix.
  if (/^Your BIOS is broken; (?:DMAR reported|RHSA refers|bad RMRR|ANDD object)/.test(text)) return { subsystem: 'DMAR', rest: text };
  if (/^dmar_fault: \d+ callbacks suppressed/.test(text)) return { subsystem: 'DMAR', rest: text };
  const d = DEVICE_PREFIX.exec(text);
  if (d && RMRR_LOCKED.test(text)) return { subsystem: 'device', rest: text.slice(d[0].length), device: d[2]! };
  // iommu.c's dev_fmt is its pr_fmt: its device messages read `pci 0000:00:02.0: DMAR: Skip IOMMU disabling for graphics`
  if (d?.[0].endsWith('DMAR: ')) return { subsystem: 'DMAR', rest: text.slice(d[0].length), device: d[2]! };
  // the APIC code's consequence of interrupt remapping not being in x2APIC mode
  if (text.startsWith("x2apic: IRQ remapping doesn't support X2APIC mode")) return { subsystem: 'x2apic', rest: text.slice('x2apic: '.length) };
  // the same before apic.c had its pr_fmt (4.x): `IRQ remapping doesn't support X2APIC mode, disable x2apic.`
  if (text.startsWith("IRQ remapping doesn't support X2APIC mode")) return { subsystem: 'x2apic', rest: text };
  // 3.x intel-iommu.c: `IOMMU 0 0xfed90000: using Queued invalidation`
  if (/^IOMMU \d+ 0x[0-9a-fA-F]+: using (?:Queued|Register based) invalidation/.test(text)) return { subsystem: 'IOMMU', rest: text };
  if (/^PCI-DMA: Intel\(R\) Virtualization Technology for Directed I\/O/.test(text)) return { subsystem: 'IOMMU', rest: text.slice('PCI-DMA: '.length) };
  // 3.x intel_irq_remapping.c had no pr_fmt: its messages came bare
  if (IR_UNPREFIXED.test(text)) return { subsystem: 'DMAR-IR', rest: text };
  return undefined;
}

/** The interrupt-remapping messages 3.x printed without a prefix. */
const IR_UNPREFIXED =
  /^(?:(?:IOAPIC|HPET) id \d+ under DRHD base|x2apic is disabled because BIOS sets x2apic opt out bit|Use 'intremap=no_x2apic_optout'|\[Firmware Bug\]: ioapic \d+ has no mapping iommu|Not enable interrupt remapping|Not enabling interrupt remapping|Enabled IRQ remapping in \S+ mode|Failed to enable irq remapping)/;

/** ` BIOS vendor: ...; Ver: ...; Product Version: ...`, by indexOf (a pattern of two `.*` takes time growing with the square). */
function biosVendorLine(t: string): boolean {
  const v = t.trimStart();
  if (!v.startsWith('BIOS vendor: ')) return false;
  const ver = v.indexOf('; Ver: ');
  return ver >= 0 && v.indexOf('; Product Version:', ver) >= 0;
}

/** Reads a kernel log. `source` names it in messages ("boot.log"). */
export interface KernelLogOptions {
  /**
   * A memory-map line no kernel prints (a damaged log) is refused: judged without it or with it, an RMRR's
   * verdict would be wrong. A reader that judges nothing by the map (`explain`) passes this instead: it is
   * told, and the log's map is left out whole.
   */
  damagedMap?: (message: string) => void;
}

/** How a memory map's source names the lines it was read from. */
const MAP_LINES: Record<MapWho, string> = {
  'BIOS-e820': 'BIOS-e820 lines',
  extended: 'extended: lines, the firmware map past 128 entries',
  user: 'user: lines, the map after memmap=/mem=',
};

export function parseKernelLog(text: string, source: string, encoding: KernelLog['encoding'] = 'latin1', opts: KernelLogOptions = {}): KernelLog {
  const lines = logLines(text);
  const dmar: DmarLine[] = [];
  let boots = 0;
  // The facts of one boot, never of several: the last boot that printed a map, else the last boot
  let regions: MemRegion[] = [];
  /** Which lines `regions` holds: the firmware's map (BIOS-e820, extended) or the one after the command line's edits (user). */
  let regionsOf: MapWho = 'BIOS-e820';
  let updates: E820Update[] = [];
  let bootKernel: KernelVersion | undefined;
  let bootCmdline: string | undefined;
  // the last `Command line:` and where it was, and where the map being read started: with the `Linux version`
  // lines grepped away, a map that starts another boot takes the command line printed since the last map began
  let lastCmdline: { text: string; line: number } | undefined;
  let mapLine = 0;
  type BootFacts = { map?: { regions: MemRegion[]; updates: E820Update[]; who: MapWho }; kernel?: KernelVersion; commandLine?: string; boot: number };
  let mapped: BootFacts | undefined;
  let last: BootFacts = { boot: 0 };
  let lastWasBiosBroken = false;

  const closeBoot = () => {
    last = { kernel: bootKernel, commandLine: bootCmdline, boot: boots };
    if (regions.length) mapped = { ...last, map: { regions, updates, who: regionsOf } };
    regions = [];
    regionsOf = 'BIOS-e820';
    updates = [];
    bootKernel = undefined;
    bootCmdline = undefined;
  };

  // a range no kernel prints (wider than 64 bits, or ending before it starts) is a damaged log, refused with its
  // line: taken as it stands, a reserved range to 2^80 hid every RMRR the map should have judged
  let damaged = false;
  const range = <T extends { start: bigint; end: bigint }>(r: T, l: LogLine): T => {
    if (r.start <= MAX_ADDRESS && r.end <= MAX_ADDRESS && r.start <= r.end) return r;
    const message = `line ${l.line}: ${excerpt(l.text, 100)}: not a range of the 64-bit address space (a damaged log)`;
    if (!opts.damagedMap) throw new DmarError(message, { file: source, code: 'DMAR-MACHINE-INVALID' });
    if (!damaged) opts.damagedMap(`${message}: the log's memory map is left out`);
    damaged = true;
    return r;
  };

  for (const l of lines) {
    const t = l.text;
    if (l.tooLong) {
      // no kernel message: a line of the VT-d drivers' prefix is listed, unrecognised, never matched
      const p = dmarPrefix(t);
      if (p) dmar.push({ line: l.line, raw: l.raw, text: t, subsystem: p.subsystem, event: { kind: 'unrecognised' }, boot: boots });
      lastWasBiosBroken = false;
      continue;
    }
    const v = LINUX_VERSION.exec(t);
    if (v) {
      if (boots > 0) closeBoot();
      boots++;
      bootKernel = upstreamPatch(parseKernelRelease(v[1]!), t);
      lastWasBiosBroken = false;
      continue;
    }
    const e820 = e820Line(t);
    if (e820) {
      const { who, region } = e820;
      // The kernel prints its map once a boot, sorted: a range starting at or below the one before starts another
      // boot's map (the lines of several boots, their `Linux version` lines grepped away): the last map is the one
      // read. An `extended:` map is the firmware's whole map, a `user:` map (memmap=, mem=) the firmware's with the
      // command line's edits: from its first line each is the map, and the edits printed before it (mem='s
      // `e820: remove`, memmap=nn$ss's `e820: update`) are in it.
      if (regions.length && (who !== regionsOf || region.start <= regions[regions.length - 1]!.start)) {
        // another boot: the same lines starting over, or the firmware's map after an edited one (extended: and
        // user: follow their boot's BIOS-e820 lines)
        if (who === regionsOf || who === 'BIOS-e820') bootCmdline = lastCmdline && lastCmdline.line > mapLine ? lastCmdline.text : undefined;
        regions = [];
        updates = [];
      }
      if (!regions.length) mapLine = l.line;
      regionsOf = who;
      regions.push(range(region, l));
      continue;
    }
    const u = E820_UPDATE.exec(t);
    if (u) {
      updates.push(range({ line: l.line, start: BigInt(u[1]!), end: BigInt(u[2]!), from: u[3]!, to: u[4]!.trimEnd() }, l));
      continue;
    }
    const rm = E820_REMOVE.exec(t);
    if (rm) {
      updates.push(range({ line: l.line, start: BigInt(rm[1]!), end: BigInt(rm[2]!), from: rm[3]!.trimEnd(), to: '', remove: true }, l));
      continue;
    }
    const g = GRAPHICS_STOLEN.exec(t);
    if (g) {
      updates.push(range({ line: l.line, start: BigInt(g[1]!), end: BigInt(g[2]!), from: '', to: 'reserved', add: true }, l));
      continue;
    }
    const c = /^Command line: (.*)$/.exec(t);
    if (c) lastCmdline = { text: c[1]!, line: l.line };
    if (c && bootCmdline === undefined) {
      bootCmdline = c[1]!;
      continue;
    }
    // The line printed after `Your BIOS is broken; ...` (same printk, second line).
    if (lastWasBiosBroken && biosVendorLine(t)) {
      const prev = dmar[dmar.length - 1]!;
      (prev.continuation ??= []).push(t.trim());
      lastWasBiosBroken = false;
      continue;
    }
    lastWasBiosBroken = false;
    const p = dmarPrefix(t);
    if (!p) continue;
    let event = classifyLine(t, p.rest);
    if (event.kind === 'rmrr-locked' && p.device) event = { kind: 'rmrr-locked', device: p.device };
    const entry: DmarLine = { line: l.line, raw: l.raw, text: t, subsystem: p.subsystem, event, boot: boots };
    // A reason on a line of its own completes the fault just before it.
    const prev = dmar[dmar.length - 1];
    if (
      event.kind === 'fault-reason' &&
      prev &&
      (prev.event.kind === 'dma-fault' || prev.event.kind === 'intr-fault') &&
      prev.event.reason === undefined &&
      prev.event.reasonPrinted === undefined
    ) {
      if (event.reason !== undefined) prev.event.reason = event.reason;
      if (event.reasonPrinted !== undefined) prev.event.reasonPrinted = event.reasonPrinted;
      prev.event.reasonText = event.reasonText;
      (prev.continuation ??= []).push(t);
      continue;
    }
    dmar.push(entry);
    lastWasBiosBroken = /Your BIOS is broken/.test(t);
  }
  closeBoot();

  const facts = mapped ?? last;
  const map = damaged ? undefined : facts.map;
  const log: KernelLog = { source, encoding, lines: lines.length, e820Updates: map?.updates ?? [], boots, factsBoot: facts.boot, dmar };
  if (map)
    log.memoryMap = {
      source: `${source} (${MAP_LINES[map.who]})`,
      origin: 'dmesg-e820',
      lines: map.who,
      regions: map.regions,
    };
  if (facts.kernel) log.kernel = facts.kernel;
  if (facts.commandLine !== undefined) log.commandLine = facts.commandLine;
  return log;
}

/**
 * Reads and parses a log file (`-`: stdin). Read as UTF-8 when it is valid
 * UTF-8 (what the kernel and dmesg write: a device name with `ä` stays `ä` in
 * JSON and on a terminal), else as latin1, one character per byte; escaping
 * for the terminal sees every character either way.
 * Throws DmarError (exit 2) for a missing, unreadable or directory path.
 */
export function readKernelLog(path: string, opts: KernelLogOptions = {}): KernelLog {
  const name = path === '-' ? 'stdin' : path;
  // the one input reader: regular files and stdin only, never more than the input limit
  const bytes = readInputBytes(path, name, 'kernel log');
  let utf8: string | undefined;
  // a log saved by Windows tools (PowerShell's redirection) is UTF-16 with a byte-order mark
  const utf16 = utf16Encoding(bytes);
  try {
    utf8 = new TextDecoder(utf16 ?? 'utf-8', { fatal: true }).decode(bytes);
  } catch {
    // not UTF-8: one character per byte
  }
  return utf8 === undefined ? parseKernelLog(bytes.toString('latin1'), name, 'latin1', opts) : parseKernelLog(utf8, name, 'utf-8', opts);
}

/**
 * The units the last boot of the log printed (`dmarN: reg_base_addr X ver M:N
 * cap C ecap E`), and those Linux rejected before naming them because CAP and
 * ECAP read all ones (`DMAR reported at address X returns all ones`): for
 * `--dmesg`, the machine's IOMMU units when no capture gives them.
 */
export function logUnits(log: KernelLog): IommuUnit[] {
  const units: IommuUnit[] = [];
  for (const d of log.dmar) {
    if (d.boot !== log.factsBoot) continue;
    const e = d.event;
    if (e.kind === 'unit') units.push({ name: e.unit, address: e.base, cap: e.cap, ecap: e.ecap, version: e.version });
    if (e.kind === 'drhd-invalid-address' && e.allOnes) units.push({ name: 'the unit', address: e.address, cap: ALL_ONES, ecap: ALL_ONES });
  }
  return units;
}
