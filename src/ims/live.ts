/**
 * Evidence of a machine, read under a root (the running machine's is
 * liveRoot(), `/` unless DMAR_ROOT moves it; a capture's is DIR/root): the
 * CPUID hypervisor and TDX-guest bits as the kernel shows them in
 * /proc/cpuinfo, the SMBIOS "virtual machine" bit, DMI vendor strings, and
 * the VT-d caching-mode bit of each IOMMU's capability register.
 */
import { readdirSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { inputText, quoted } from '../acpi/escape.js';
import { hex } from '../acpi/hex.js';
import { liveRoot, readInputBytes } from '../io/input.js';
import { DMI_FILES, matchDmi, smbiosVirtualMachine, type DmiFile } from './dmi.js';
import type { Fact, LiveEvidence } from './evidence.js';

/** VT-d capability register bit 7, CM: set by virtual IOMMUs so the guest flushes non-present entries too. */
export const CAP_CACHING_MODE_BIT = 7n;

function display(root: string, rel: string): string {
  return root === '/' ? `/${rel}` : join(root, rel);
}

/**
 * A file under the root, through the one input reader: a capture is input, and a
 * FIFO or device planted in one must not block or flood the reader. Undefined when
 * it cannot be read.
 */
function readUnder(root: string, rel: string): Buffer | undefined {
  try {
    return readInputBytes(join(root, rel));
  } catch {
    return undefined;
  }
}

type CpuFlags = { flags: Set<string>[] } | { why: string };

/** The x86 `flags` lines of /proc/cpuinfo (read once for every CPU fact), or why there are none. */
export function cpuFlags(root: string, warnings: string[]): CpuFlags {
  const path = display(root, 'proc/cpuinfo');
  const cpuinfo = readUnder(root, 'proc/cpuinfo');
  const text = cpuinfo && inputText(cpuinfo);
  if (text === undefined) return { why: `${path} is not readable` };
  const lines = text.split('\n').filter((l) => /^flags\s*:/.test(l));
  if (lines.length === 0) {
    warnings.push(`${path} has no x86 "flags" line: the CPUID hypervisor and TDX bits are unknown`);
    return { why: `${path} (no flags line)` };
  }
  return { flags: lines.map((l) => new Set(l.slice(l.indexOf(':') + 1).split(/\s+/))) };
}

function cpuFlagFact(root: string, f: CpuFlags, flag: string): Fact {
  if ('why' in f) return { value: 'unknown', source: f.why };
  const path = display(root, 'proc/cpuinfo');
  const set = f.flags.some((s) => s.has(flag));
  return { value: set, source: `${path} (${set ? `"${flag}" in the flags line` : `no "${flag}" flag`})` };
}

/** CPUID.1:ECX bit 31 as Linux reports it: the word `hypervisor` in the x86 `flags` lines. */
export function hypervisorFromCpuinfo(root: string, warnings: string[], flags = cpuFlags(root, warnings)): Fact {
  return cpuFlagFact(root, flags, 'hypervisor');
}

/** A TDX guest: Linux sets the `tdx_guest` flag when CPUID leaf 0x21 says "IntelTDX    " (X86_FEATURE_TDX_GUEST). */
export function tdxFromCpuinfo(root: string, flags = cpuFlags(root, [])): Fact {
  return cpuFlagFact(root, flags, 'tdx_guest');
}

/** The SMBIOS "virtual machine" bit from the raw structure table in sysfs. */
export function smbiosVmFromSysfs(root: string, warnings: string[]): Fact {
  const rel = 'sys/firmware/dmi/tables/DMI';
  const path = display(root, rel);
  const bytes = readUnder(root, rel);
  if (!bytes) return { value: 'unknown', source: `${path} is not readable` };
  const r = smbiosVirtualMachine(bytes);
  if (!r.found) {
    if (!/no BIOS Information|before SMBIOS 2.4/.test(r.why)) warnings.push(`${path}: ${r.why}`);
    return { value: 'unknown', source: `${path}: ${r.why}` };
  }
  return {
    value: r.vm,
    source: `${path}: BIOS Characteristics Extension Byte 2 at ${hex(r.offset)} is ${hex(r.byte, 2)} (bit 4 ${r.vm ? 'set' : 'clear'})`,
  };
}

/** The DMI strings of /sys/class/dmi/id checked against known hypervisor vendors. */
export function dmiVendorFromSysfs(root: string): Fact {
  const rel = 'sys/class/dmi/id';
  const values: Partial<Record<DmiFile, string>> = {};
  for (const f of DMI_FILES) {
    // absent or unreadable: not evidence
    const v = readUnder(root, `${rel}/${f}`);
    if (v) values[f] = inputText(v).replace(/\n$/, '');
  }
  const read = Object.keys(values);
  if (read.length === 0) return { value: 'unknown', source: `no readable ${display(root, rel)}/{${DMI_FILES.join(',')}}` };
  const m = matchDmi(values);
  if (m) return { value: true, source: `${display(root, `${rel}/${m.file}`)} = ${quoted(values[m.file] ?? '')}: ${m.hit.who}` };
  return { value: false, source: `${display(root, rel)}: ${read.map((f) => `${f} ${quoted(values[f as DmiFile] ?? '')}`).join(', ')}: no known hypervisor` };
}

/** Caching mode of every Intel IOMMU sysfs shows: true if any unit has CM set. */
export function cachingModeFromSysfs(root: string, warnings: string[]): Fact {
  const rel = 'sys/class/iommu';
  let units: string[];
  try {
    units = readdirSync(join(root, rel))
      .filter((n) => /^dmar\d+$/.test(n))
      .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  } catch {
    units = [];
  }
  const cleared: string[] = [];
  for (const u of units) {
    const capRel = `${rel}/${u}/intel-iommu/cap`;
    const capBytes = readUnder(root, capRel);
    const raw = capBytes && inputText(capBytes).trim();
    if (raw === undefined) {
      warnings.push(`${display(root, capRel)} is not readable`);
      continue;
    }
    if (!/^(0x)?[0-9a-f]+$/i.test(raw)) {
      warnings.push(`${display(root, capRel)}: ${quoted(raw)} is not a hex number`);
      continue;
    }
    const cap = BigInt(raw.startsWith('0x') || raw.startsWith('0X') ? raw : `0x${raw}`);
    if ((cap >> CAP_CACHING_MODE_BIT) & 1n) return { value: true, source: `${display(root, capRel)} = ${raw} (bit 7 set)` };
    cleared.push(display(root, capRel));
  }
  if (cleared.length === 0) {
    return { value: 'unknown', source: `no readable ${display(root, rel)}/dmar*/intel-iommu/cap (IOMMU not enabled?)` };
  }
  return { value: false, source: `bit 7 clear in ${cleared.join(', ')}` };
}

export function liveEvidence(root = liveRoot()): LiveEvidence {
  const warnings: string[] = [];
  const flags = cpuFlags(root, warnings);
  return {
    'cpu.tdx': tdxFromCpuinfo(root, flags),
    'cpu.hypervisor': hypervisorFromCpuinfo(root, warnings, flags),
    'smbios.virtualMachine': smbiosVmFromSysfs(root, warnings),
    'dmi.hypervisorVendor': dmiVendorFromSysfs(root),
    'iommu.cachingMode': cachingModeFromSysfs(root, warnings),
    warnings,
  };
}

/** The kernel release (`uname -r`): proc/sys/kernel/osrelease under the root; on the running machine, os.release() if that is unreadable. */
export function kernelRelease(root = liveRoot()): { version: string; source: string } | undefined {
  const rel = 'proc/sys/kernel/osrelease';
  const b = readUnder(root, rel);
  const v = b && inputText(b).trim();
  if (v) return { version: v, source: display(root, rel) };
  if (root === '/' && process.platform === 'linux') return { version: release(), source: 'uname -r' };
  return undefined;
}
