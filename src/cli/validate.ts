/**
 * `dmar validate`: lint many tables in one process. Reading, exit status and
 * printing live here; the checks are in src/dmar/validate/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { termText, jsonDocument } from '../acpi/escape.js';
import { sysfsTablePath, type Source } from '../io/input.js';
import type { DumpedTable } from '../acpi/acpidump.js';
import { HPET_SIGNATURE, hpetInfo } from '../acpi/hpet.js';
import { checkMadt, MADT_SIGNATURE } from '../acpi/madt.js';
import { DmarError, locatedLine } from '../dmar/errors.js';
import type { Severity } from '../dmar/decode.js';
import { CHECKS, catalogue, selectChecks } from '../dmar/validate/catalogue.js';
import { atLeast, madtOf, type CompanionTable } from '../dmar/validate/check.js';
import { validateBytes } from '../dmar/validate/engine.js';
import { hpetsOf } from '../dmar/validate/machine.js';
import type { FileResult } from '../dmar/validate/report/result.js';
import { summaryLine } from '../dmar/validate/report/text.js';
import { PLAIN } from '../dmar/format/paint.js';
import { tableValidated } from './batch.js';
import { EXIT, stdoutWrite, usageError, writeOutput } from './common.js';
import { stdinOnce, tableInputs, type Input } from './inputs.js';
import type { MachineFacts } from '../machine/facts.js';
import { acpiTable } from '../machine/sysfs.js';
import { io } from '../io/std.js';

export interface ValidateOpts {
  format: 'text' | 'json' | 'junit';
  json?: boolean;
  failOn: Severity;
  only: string[];
  ignore: string[];
  list?: boolean;
  output?: string;
  /** `live` or a capture directory: the machine the tables describe. */
  machine?: string;
  /** A boot log: its BIOS-e820 lines (extended: past 128 entries, user: after memmap=/mem=) give the memory map, its `Linux version` line the kernel. */
  dmesg?: string;
}

/** The machine modules: loaded only for --machine or --dmesg (a plain validate evaluates none of them). */
type MachineContext = typeof import('./machine-context.js');

/** The inputs named (none: the table of --machine's root, else this machine's), directories walked one file at a time. */
function expand(args: readonly string[], machine?: MachineFacts, mc?: MachineContext): Iterable<Input> {
  if (!args.length && machine?.root && mc) {
    const path = join(machine.root, 'sys/firmware/acpi/tables/DMAR');
    return [{ name: path, load: () => mc.machineTable(path, machine) }];
  }
  return tableInputs(args);
}

/** --dmesg LOG: the boot log's memory map and kernel over the machine's (or alone); its units when the machine has none. */
export async function withDmesg(machine: MachineFacts | undefined, path: string): Promise<MachineFacts> {
  const [{ readKernelLog }, { withBootLog }] = await Promise.all([import('../machine/kernel-log.js'), import('../machine/facts.js')]);
  const log = readKernelLog(path);
  if (!log.memoryMap) io().stderr(`dmar: warning: ${termText(log.source)}: no BIOS-e820 lines (the memory-map checks need them)\n`);
  return withBootLog(log, machine);
}

/** The MADT to cross-check against: the acpidump's, the machine's (--machine), or the running machine's beside its DMAR. */
export function companions(src: Source, machine?: MachineFacts): CompanionTable[] | undefined {
  const tables = companionTables(src, machine);
  // a MADT or an HPET table that is none would give false findings: refused (exit 2), naming where it came from;
  // an acpidump's that is damaged too (its dump read for the DMAR, not held to this table's rows)
  if (src.tables) checkDumped(src.tables, src.name);
  const madt = tables?.find((t) => t.signature === MADT_SIGNATURE);
  if (madt)
    checkMadt(
      madt.bytes,
      src.tables ? `${src.name}: its APIC table` : machine?.root ? join(machine.root, 'sys/firmware/acpi/tables/APIC') : sysfsTablePath(MADT_SIGNATURE),
    );
  return tables;
}

/** An acpidump's MADT and HPET table, which validate reads: a damaged one (its problem) or an HPET too short for its number is refused. */
function checkDumped(tables: readonly DumpedTable[], name: string): void {
  const madt = tables.find((t) => t.signature === MADT_SIGNATURE);
  const hpet = tables.find((t) => t.signature === HPET_SIGNATURE);
  for (const t of [madt, hpet]) if (t?.problem) throw new DmarError(t.problem, { file: name });
  if (hpet && !hpetInfo(hpet.bytes))
    throw new DmarError(`line ${hpet.line}: HPET dump: the table is too short to hold the HPET Number (offset 52)`, { file: name });
}

function companionTables(src: Source, machine?: MachineFacts): CompanionTable[] | undefined {
  if (src.tables) return src.tables;
  const apic = machine?.root ? acpiTable(machine.root, MADT_SIGNATURE) : undefined;
  if (apic) return [{ signature: MADT_SIGNATURE, bytes: apic }];
  // the running machine's MADT only beside its own table: a capture without one is judged without a MADT, never
  // against the machine dmar runs on
  if (src.kind !== 'sysfs' || machine?.root) return undefined;
  try {
    return [{ signature: MADT_SIGNATURE, bytes: readFileSync(sysfsTablePath(MADT_SIGNATURE)) }];
  } catch {
    return undefined;
  }
}

function validateInput(input: Input, only: Set<string> | undefined, ignore: Set<string>, machine?: MachineFacts, mc?: MachineContext): FileResult {
  let src: Source;
  try {
    src = input.load();
  } catch (e) {
    // a file that cannot be read, or source text (JSON, iasl) that does not compile
    if (e instanceof DmarError) return { file: input.name, findings: [], error: { message: e.message, id: e.code ?? null, offset: e.offset ?? null } };
    throw e;
  }
  let tables: CompanionTable[] | undefined;
  try {
    tables = companions(src, machine);
  } catch (e) {
    // the MADT's file (an acpidump's APIC table is named after the dump) and offset are the message's: the offset is none of the DMAR's
    if (e instanceof DmarError) {
      const line = e.oneLine();
      const message = line.startsWith(`${input.name}: `) ? line.slice(input.name.length + 2) : line;
      return { file: input.name, findings: [], error: { message, id: e.code ?? null, offset: null } };
    }
    throw e;
  }
  try {
    const findings = validateBytes(src.bytes, { tables, only, ignore, machine });
    tableValidated(src.bytes);
    const r: FileResult = { file: input.name, findings, madt: madtOf(tables) !== undefined };
    if (tables && hpetsOf({ tables })) r.hpet = true;
    if (machine && mc) r.notes = mc.machineNotes(machine, only, ignore, r.madt, r.hpet);
    return r;
  } catch (e) {
    if (e instanceof DmarError) return { file: input.name, findings: [], error: { message: e.message, id: e.code ?? null, offset: e.offset ?? null } };
    throw e;
  }
}

/** The one line an unreadable input gets on stderr: file, offset, reason, fatal check ID. */
function errorLine(r: FileResult): string {
  const e = r.error!;
  return locatedLine({ file: termText(r.file), offset: e.offset, message: termText(e.message), id: e.id }, { decimal: false });
}

function ids(patterns: readonly string[], option: string): Set<string> {
  const { ids, unknown } = selectChecks(patterns.flatMap((p) => p.split(',')));
  if (unknown.length) throw usageError(`${option}: unknown check ID ${unknown.join(', ')} (dmar validate --list shows them)`);
  // `--only "$CHECKS"` with CHECKS unset would run no check and pass every table (an empty --ignore ignores nothing)
  if (option === '--only' && !ids.size && patterns.length) throw usageError(`${option}: no check ID given`);
  return ids;
}

async function paintFor(output: string | undefined) {
  if (output && output !== '-') return (await import('../dmar/format/paint.js')).PLAIN;
  return (await import('./colour.js')).painter();
}

async function listChecks(format: string, output: string | undefined): Promise<string> {
  if (format === 'json') return jsonDocument({ format: 'dmar-checks/1', checks: catalogue() });
  if (format === 'junit') throw usageError('--list prints text or JSON, not junit');
  const p = await paintFor(output);
  const w = Math.max(...CHECKS.map((c) => c.id.length));
  const lines = CHECKS.map((c) => {
    const sev = (c.severity === 'error' ? p.error : c.severity === 'warning' ? p.warn : p.info)(c.severity.padEnd(7));
    const src = c.source.join(', ').padEnd(17);
    const tag = c.fatal ? p.dim(' (fatal: file rejected)') : c.source.includes('proposal') ? ' ' + p.proposed('(proposed)') : '';
    return `${c.id.padEnd(w)}  ${sev}  ${src}  ${c.description}${tag}`;
  });
  return `${'ID'.padEnd(w)}  ${'SEVERITY'.padEnd(7)} ${'SOURCE'.padEnd(17)}  CONDITION\n${lines.join('\n')}\n${CHECKS.length} checks\n`;
}

export async function run(inputs: string[], opts: ValidateOpts): Promise<number> {
  const format = opts.json ? 'json' : opts.format;
  const only = opts.only.length ? ids(opts.only, '--only') : undefined;
  const ignore = ids(opts.ignore, '--ignore');
  let out: string;
  let summary: string | undefined;
  let status: number = EXIT.OK;
  if (opts.list) {
    // the catalogue is the same for every table and machine: an input or a machine given with it is a mistake
    if (inputs.length || opts.machine !== undefined || opts.dmesg !== undefined)
      throw usageError('--list prints the catalogue of checks: it takes no input, --machine or --dmesg');
    out = await listChecks(format, opts.output);
  } else {
    const mc = opts.machine !== undefined || opts.dmesg !== undefined ? await import('./machine-context.js') : undefined;
    let machine: MachineFacts | undefined = opts.machine === undefined ? undefined : mc!.loadMachine(opts.machine);
    stdinOnce(inputs, { '--dmesg': opts.dmesg });
    if (opts.dmesg !== undefined) machine = await withDmesg(machine, opts.dmesg);
    // one input at a time: its bytes are dropped once validated; what cannot be read goes to stderr at once
    const results: FileResult[] = [];
    for (const input of expand(inputs, machine, mc)) {
      const r = validateInput(input, only, ignore, machine, mc);
      if (r.error) io().stderr(`dmar: ${errorLine(r)}\n`);
      results.push(r);
    }
    if (format === 'json') out = (await import('../dmar/validate/report/json.js')).reportJson(results);
    else if (format === 'junit') {
      const ran = CHECKS.filter((c) => (!only || only.has(c.id)) && !ignore.has(c.id));
      out = (await import('../dmar/validate/report/junit.js')).reportJunit(results, { failOn: opts.failOn, checks: ran });
    } else out = (await import('../dmar/validate/report/text.js')).reportText(results, await paintFor(opts.output));
    if (opts.output && opts.output !== '-') summary = summaryLine(results, PLAIN);
    if (results.some((r) => r.error)) status = EXIT.BAD_INPUT;
    else if (results.some((r) => r.findings.some((f) => atLeast(f.severity, opts.failOn)))) status = EXIT.FINDINGS;
  }
  if (opts.output && opts.output !== '-') {
    writeOutput(opts.output, out);
    // not "dmar: ...": that prefix is an error's, and this line is printed on success too
    if (summary) io().stderr(`dmar validate: ${summary} (report in ${termText(opts.output)})\n`);
  } else stdoutWrite(out);
  return status;
}
