/**
 * Evidence of the running machine: the CPUID hypervisor bit as the kernel
 * shows it in /proc/cpuinfo, and the VT-d caching-mode bit of each IOMMU's
 * capability register in sysfs. Every path is under liveRoot() so tests can
 * fake the machine with DMAR_ROOT.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { liveRoot } from '../acpi/input.js';
import type { Fact, LiveEvidence } from './evidence.js';

/** VT-d capability register bit 7, CM: set by virtual IOMMUs so the guest flushes non-present entries too. */
export const CAP_CACHING_MODE_BIT = 7n;

function display(root: string, rel: string): string {
  return root === '/' ? `/${rel}` : join(root, rel);
}

/** CPUID.1:ECX bit 31 as Linux reports it: the word `hypervisor` in the x86 `flags` lines. */
export function hypervisorFromCpuinfo(root: string, warnings: string[]): Fact {
  const path = display(root, 'proc/cpuinfo');
  let text: string;
  try {
    text = readFileSync(join(root, 'proc/cpuinfo'), 'latin1');
  } catch {
    return { value: 'unknown', source: `${path} is not readable` };
  }
  const flags = text.split('\n').filter((l) => /^flags\s*:/.test(l));
  if (flags.length === 0) {
    warnings.push(`${path} has no x86 "flags" line: the CPUID hypervisor bit is unknown`);
    return { value: 'unknown', source: `${path} (no flags line)` };
  }
  const set = flags.some((l) => l.split(':')[1]!.split(/\s+/).includes('hypervisor'));
  return { value: set, source: `${path} (${set ? '"hypervisor" in the flags line' : 'no "hypervisor" flag'})` };
}

/** Caching mode of every Intel IOMMU sysfs shows: true if any unit has CM set. */
export function cachingModeFromSysfs(root: string, warnings: string[]): Fact {
  const rel = 'sys/class/iommu';
  let units: string[];
  try {
    units = readdirSync(join(root, rel)).filter((n) => /^dmar\d+$/.test(n)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  } catch {
    units = [];
  }
  const cleared: string[] = [];
  for (const u of units) {
    const capRel = `${rel}/${u}/intel-iommu/cap`;
    let raw: string;
    try {
      raw = readFileSync(join(root, capRel), 'latin1').trim();
    } catch {
      warnings.push(`${display(root, capRel)} is not readable`);
      continue;
    }
    if (!/^(0x)?[0-9a-f]+$/i.test(raw)) {
      warnings.push(`${display(root, capRel)}: ${JSON.stringify(raw)} is not a hex number`);
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
  return {
    'cpu.hypervisor': hypervisorFromCpuinfo(root, warnings),
    'iommu.cachingMode': cachingModeFromSysfs(root, warnings),
    warnings,
  };
}
