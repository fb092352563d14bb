/** `dmar map [TABLE] [--machine DIR|live] [--dmesg LOG] [--json]`: the physical address space as text. */
import { hex } from '../acpi/hex.js';
import { jsonDocument } from '../acpi/escape.js';
import { formatMapText, memoryPicture } from '../report/memory.js';
import { decodeSource, stdoutWrite } from './common.js';
import { reportProblems } from './read-lenient.js';
import { tableAndMachine } from './report.js';

export async function run(file: string | undefined, opts: { machine?: string; dmesg?: string; json?: boolean }): Promise<number> {
  const { source, machine } = await tableAndMachine(file, opts);
  // what precedes a framing defect is drawn, the defect told on stderr (as topology and flags tell it)
  const loaded = decodeSource(source, { strict: false });
  reportProblems(loaded);
  const table = loaded.table;
  const p = memoryPicture(table, machine);
  if (opts.json) {
    const shapes = p.shapes.map((s) => ({
      lane: s.lane,
      start: hex(s.start),
      end: hex(s.end),
      label: s.label,
      kind: s.kind,
      ...(s.note ? { note: s.note } : {}),
      ...(s.detail ? { detail: s.detail } : {}),
    }));
    stdoutWrite(jsonDocument({ format: 'dmar-map/1', table: source.name, mapSource: p.mapSource, shapes, notes: p.notes }));
    return 0;
  }
  stdoutWrite(formatMapText(p, await (await import('./colour.js')).painter()));
  return 0;
}
