/** `dmar capture [-o DIR]`: snapshot this machine's context into a portable directory. */
import { termText, jsonDocument } from '../acpi/escape.js';
import { liveRoot } from '../io/input.js';
import { writeError, writeErrorText } from '../io/write.js';
import { capture, type Manifest } from '../machine/capture.js';
import { stdoutWrite, usageError } from './common.js';

function defaultDir(): string {
  return `dmar-capture-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
}

/** The summary printed after a capture: what is in it and what is missing, and why. */
export function manifestSummary(dir: string, m: Manifest): string {
  const by = (s: string) => m.items.filter((i) => i.status === s).length;
  // a table there but not read (as a user: root's alone) is no table absent
  const dmarItem = m.items.find((i) => i.path === '/sys/firmware/acpi/tables/DMAR');
  const dmar = m.summary.dmar
    ? 'yes'
    : dmarItem && dmarItem.status !== 'absent'
      ? `not read (${dmarItem.reason ?? dmarItem.status})`
      : 'no (no Intel VT-d table on this machine)';
  const lines = [
    `${dir}: ${by('ok')} items read, ${by('absent')} absent, ${by('denied')} denied, ${by('error')} failed`,
    `  DMAR table: ${dmar}`,
    `  kernel: ${m.summary.kernelRelease ?? 'unknown'}; PCI devices: ${m.summary.pciDevices}; IOMMU units: ${m.summary.iommuUnits}; kernel log: ${m.summary.kernelLog}`,
  ];
  const partial = m.items.filter((i) => i.status === 'ok' && i.reason);
  const notes = new Map<string, number>();
  for (const i of partial) notes.set(i.reason!, (notes.get(i.reason!) ?? 0) + 1);
  for (const i of m.items.filter((x) => x.status !== 'ok' && !x.path.includes('/sys/firmware/memmap/'))) {
    lines.push(`  ${i.status}: ${i.item} (${i.path}): ${i.reason ?? ''}`);
  }
  // the memory map's files (three an entry) in one line per status and reason: an entry not read is a hole in the map
  const memmap = new Map<string, number>();
  for (const i of m.items.filter((x) => x.status !== 'ok' && x.status !== 'absent' && x.path.includes('/sys/firmware/memmap/'))) {
    const k = `${i.status}: memory map files (/sys/firmware/memmap/N/*): ${i.reason ?? ''}`;
    memmap.set(k, (memmap.get(k) ?? 0) + 1);
  }
  for (const [k, n] of memmap) lines.push(`  ${k} (${n} file${n === 1 ? '' : 's'})`);
  for (const [why, n] of notes) lines.push(`  partial: ${n} item${n === 1 ? '' : 's'}: ${why}`);
  return lines.map(termText).join('\n') + '\n';
}

export async function run(opts: { output?: string; json?: boolean }): Promise<number> {
  // elsewhere `-o -` is stdout; a capture is a directory of files, and one named "-" is a slip, not a wish
  if (opts.output === '-') throw usageError('capture writes a directory: -o - (stdout) is no place for one; give a directory name');
  const dir = opts.output ?? defaultDir();
  let m: Manifest;
  try {
    m = await capture({ root: liveRoot(), out: dir, tool: 'dmar 0.1.0' });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'EEXIST' ? (e as Error).message : writeErrorText(e);
    throw writeError(`cannot write the capture: ${why}`, dir);
  }
  stdoutWrite(opts.json ? jsonDocument(m) : manifestSummary(dir, m));
  return 0;
}
