/**
 * `dmar report [TABLE|ACPIDUMP] [--machine DIR|live] [--dmesg LOG] -o report.html`:
 * one self-contained HTML page (src/report/).
 */
import { join } from 'node:path';
import { readSource, type Source } from '../acpi/input.js';
import type { MachineFacts } from '../machine/facts.js';
import { reportData, renderReport } from '../report/index.js';
import { stdoutWrite, writeOutput } from './common.js';
import { loadMachine, machineNotes, machineTable } from './machine-context.js';
import { companions, withDmesg } from './validate.js';

export interface ReportOpts {
  machine?: string;
  dmesg?: string;
  output?: string;
}

/** Examples and exit status for the help footer (the lead wires them into help-text.ts). */
export const REPORT_HELP: { examples: string[]; exit: string[] } = {
  examples: [
    'dmar report -o report.html                          this machine\'s table, alone',
    'dmar report --machine live -o report.html           this machine\'s table against this machine',
    'dmar report --machine capture-dir -o report.html    a `dmar capture` directory (its own table)',
    'dmar report acpidump.txt --dmesg boot.log -o r.html  an acpidump, judged with a boot log\'s memory map',
  ],
  exit: [
    '0  the page was written (whatever the findings: they are in the page)',
    '2  bad input (no DMAR table, truncated, unreadable capture or log) or usage; nothing is written',
  ],
};

/** The table to show and the machine to judge it against: the same choices as `dmar validate`. */
export async function tableAndMachine(file: string | undefined, opts: { machine?: string; dmesg?: string }): Promise<{ source: Source; machine?: MachineFacts }> {
  let machine: MachineFacts | undefined = opts.machine === undefined ? undefined : loadMachine(opts.machine);
  if (opts.dmesg !== undefined) machine = await withDmesg(machine, opts.dmesg);
  const source = file === undefined && machine?.root ? machineTable(join(machine.root, 'sys/firmware/acpi/tables/DMAR'), machine) : readSource(file);
  return { source, machine };
}

export async function run(file: string | undefined, opts: ReportOpts): Promise<number> {
  const { source, machine } = await tableAndMachine(file, opts);
  const data = reportData({ source, machine, tables: companions(source, machine), notes: machine ? machineNotes(machine) : [] });
  const page = renderReport(data);
  if (opts.output) writeOutput(opts.output, page);
  else stdoutWrite(page);
  return 0;
}
