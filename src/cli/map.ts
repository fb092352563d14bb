/** `dmar map [TABLE] [--machine DIR|live] [--dmesg LOG] [--json]`: the physical address space as text. */
import { hex } from '../acpi/hex.js';
import { decodeDmar } from '../dmar/decode.js';
import { DmarError } from '../dmar/errors.js';
import { formatMapText, memoryPicture } from '../report/memory.js';
import { stdoutWrite } from './common.js';
import { tableAndMachine } from './report.js';

export const MAP_HELP: { examples: string[]; exit: string[] } = {
  examples: [
    'dmar map                                   this machine\'s RMRRs and register windows',
    'dmar map --machine live                    ... over this machine\'s firmware memory map, with Linux\'s RMRR verdicts',
    'dmar map acpidump.txt --dmesg boot.log     an acpidump over a boot log\'s BIOS-e820 map',
  ],
  exit: ['0  the map was printed (an RMRR Linux rejects is shown, not an error: `dmar validate` judges)', '2  bad input or usage'],
};

export async function run(file: string | undefined, opts: { machine?: string; dmesg?: string; json?: boolean }): Promise<number> {
  const { source, machine } = await tableAndMachine(file, opts);
  let table;
  try {
    table = decodeDmar(source.bytes, { strict: false }).table;
  } catch (e) {
    if (e instanceof DmarError) e.file = source.name;
    throw e;
  }
  const p = memoryPicture(table, machine);
  if (opts.json) {
    const shapes = p.shapes.map((s) => ({ lane: s.lane, start: hex(s.start), end: hex(s.end), label: s.label, kind: s.kind, ...(s.note ? { note: s.note } : {}), ...(s.detail ? { detail: s.detail } : {}) }));
    stdoutWrite(JSON.stringify({ format: 'dmar-map/1', table: source.name, mapSource: p.mapSource, shapes, notes: p.notes }, null, 2) + '\n');
    return 0;
  }
  stdoutWrite(formatMapText(p, await (await import('./colour.js')).painter()));
  return 0;
}
