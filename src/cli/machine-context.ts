/** `--machine DIR|live` for validate and topology: read the machine, and say which machine checks cannot run. */
import { readInputBytes, sourceFromBytes, type Source } from '../io/input.js';
import { lacking, machineFacts, mapEditsNote, type MachineFacts } from '../machine/facts.js';
import { rmrrRuleFor } from '../machine/memmap.js';
import { unusableConfigs } from '../machine/pci.js';
import { CHECKS } from '../dmar/validate/catalogue.js';
import type { MachineNeed } from '../dmar/validate/check.js';
import { DmarError } from '../dmar/errors.js';

/** The DMAR table of a machine root (a capture's, or this machine's with --machine live). */
export function machineTable(path: string, machine: MachineFacts): Source {
  // absent: no VT-d; there but unreadable (permission denied, a symlink loop): the reader's error says why
  let bytes: Buffer;
  try {
    bytes = readInputBytes(path);
  } catch (e) {
    if (e instanceof DmarError && e.errno === 'ENOENT') throw new DmarError(`no DMAR table in ${machine.source} (not Intel VT-d)`, { file: path });
    throw e;
  }
  return sourceFromBytes(bytes, path, 'sysfs');
}

export const loadMachine = machineFacts;

/** Why a need is not met by these facts, or undefined when it is. */
export function missing(m: MachineFacts, need: MachineNeed): string | undefined {
  switch (need) {
    case 'memory map':
      if (!m.memoryMap) return lacking.memoryMap(m);
      if (!rmrrRuleFor(m.kernel)) return `kernel ${m.kernel!.release} predates Linux 5.5, which added the RMRR memory-map check`;
      return undefined;
    case 'PCI tree':
      return m.pci ? undefined : lacking.pci(m);
    case 'IOMMU units':
      return m.units?.length ? undefined : lacking.units(m);
    case 'HPET':
      if (m.hpets) return undefined;
      return m.unreadable?.HPET ? `the HPET table of ${m.source} ${m.unreadable.HPET}` : `no HPET table in ${m.source}`;
  }
}

/**
 * One note per selected machine check that cannot run: "ID skipped: why". `madt`: the table was given a MADT
 * of its own (an acpidump's) or the machine's; else the MADT checks, which a table alone never runs, are
 * noted only when the machine has a MADT that could not be read (as a user): a failing table must not pass
 * in silence.
 */
export function machineNotes(m: MachineFacts, only?: ReadonlySet<string>, ignore?: ReadonlySet<string>, madt = true, hpet = false): string[] {
  const out: string[] = [];
  let config = m.pci && unusableConfigs(m.pci);
  // the command line's map edits (memmap=, mem=) when the map judged is the firmware's: said once
  let edited = mapEditsNote(m);
  for (const c of CHECKS) {
    if (!c.needs || (only && !only.has(c.id)) || ignore?.has(c.id)) continue;
    if (c.needs === 'MADT') {
      if (!madt && m.unreadable?.MADT) out.push(`${c.id} skipped: the MADT (APIC table) of ${m.source} ${m.unreadable.MADT}`);
      continue;
    }
    // an acpidump's HPET table is the one judged (as its MADT is), whatever the machine has
    if (c.needs === 'HPET' && hpet) continue;
    if (c.needs === 'PCI tree' && config) {
      out.push(`${config} in ${m.source}: the PCI-tree checks do not follow scopes through such a device`);
      config = undefined;
    }
    const why = missing(m, c.needs);
    if (why) {
      out.push(`${c.id} skipped: ${why}`);
      continue;
    }
    if (c.needs === 'memory map' && edited) {
      out.push(`${c.id}: ${edited}`);
      edited = undefined;
    }
    // the memory-map rule changed with the kernel: with none known, say which one judged
    if (c.needs === 'memory map' && !m.kernel)
      out.push(
        `${c.id}: no kernel release in ${m.source} (${m.root === undefined ? 'no `Linux version` line' : 'proc/sys/kernel/osrelease, proc/version'}): judged by ${rmrrRuleFor(undefined)!.text}`,
      );
  }
  return out;
}
