/**
 * `dmar report [TABLE|ACPIDUMP] [--machine DIR|live] [--dmesg LOG] -o report.html`:
 * one self-contained HTML page (src/report/).
 */
import { join } from 'node:path';
import { MADT_SIGNATURE } from '../acpi/madt.js';
import type { Source } from '../io/input.js';
import { mapEditsNote, type MachineFacts } from '../machine/facts.js';
import { reportData, renderReport } from '../report/index.js';
import { readTableSource, stdoutWrite, writeOutput } from './common.js';
import { stdinOnce } from './inputs.js';
import { loadMachine, machineNotes, machineTable } from './machine-context.js';
import { companions, withDmesg } from './validate.js';

export interface ReportOpts {
  machine?: string;
  dmesg?: string;
  output?: string;
}

/** The table to show and the machine to judge it against: the same choices as `dmar validate`. */
export async function tableAndMachine(
  file: string | undefined,
  opts: { machine?: string; dmesg?: string },
): Promise<{ source: Source; machine?: MachineFacts }> {
  stdinOnce([file], { '--dmesg': opts.dmesg });
  let machine: MachineFacts | undefined = opts.machine === undefined ? undefined : loadMachine(opts.machine);
  if (opts.dmesg !== undefined) machine = await withDmesg(machine, opts.dmesg);
  const source = file === undefined && machine?.root ? machineTable(join(machine.root, 'sys/firmware/acpi/tables/DMAR'), machine) : readTableSource(file);
  return { source, machine };
}

export async function run(file: string | undefined, opts: ReportOpts): Promise<number> {
  const { source, machine } = await tableAndMachine(file, opts);
  const tables = companions(source, machine);
  const madt = tables?.some((t) => t.signature === MADT_SIGNATURE) === true;
  // the memory map's own notes (memmap= on the command line) are the memory section's, not said twice
  const edited = machine && mapEditsNote(machine);
  const notes = machine ? machineNotes(machine, undefined, undefined, madt).filter((n) => !edited || !n.endsWith(`: ${edited}`)) : [];
  const data = reportData({ source, machine, tables, notes });
  const page = renderReport(data);
  if (opts.output) writeOutput(opts.output, page);
  else stdoutWrite(page);
  return 0;
}
