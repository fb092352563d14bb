/**
 * `dmar validate`: lint many tables in one process. Reading, exit status and
 * printing live here; the checks are in src/dmar/validate/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { looksLikeAcpidump } from '../acpi/acpidump.js';
import { InputError, readSource, sourceFromBytes, sysfsTablePath, type Source } from '../acpi/input.js';
import { MADT_SIGNATURE } from '../acpi/madt.js';
import { DmarError } from '../dmar/errors.js';
import type { Severity } from '../dmar/decode.js';
import { CHECKS, catalogue, selectChecks } from '../dmar/validate/catalogue.js';
import { atLeast, type CompanionTable } from '../dmar/validate/check.js';
import { validateBytes } from '../dmar/validate/engine.js';
import type { FileResult } from '../dmar/validate/report/result.js';
import { stdoutWrite, UsageError, writeOutput } from './common.js';
import { acpiTable, withKernelLog, type MachineFacts } from '../machine/facts.js';
import { loadMachine, machineNotes, machineTable } from './machine-context.js';

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
  /** A boot log: its BIOS-e820 lines give the memory map, its `Linux version` line the kernel. */
  dmesg?: string;
}

/** One input to validate: a name, and how to get its source (deferred so that one failure stays one file's). */
interface Input {
  name: string;
  load: () => Source;
}

const DMAR_MAGIC = 'DMAR';
/** Exit status (as in main.ts): findings at or above --fail-on, or an input that is no DMAR table. */
const EXIT = { OK: 0, FINDINGS: 1, BAD_INPUT: 2 } as const;

/** A directory's files that hold a DMAR table (raw, or acpidump text with one); others are skipped silently. */
function directoryInputs(dir: string): Input[] {
  const out: Input[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.')) continue;
    const path = join(dir, entry);
    let data: Buffer;
    try {
      if (!statSync(path).isFile()) continue;
      data = readFileSync(path);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message;
      out.push({ name: path, load: () => { throw new InputError(why, path); } });
      continue;
    }
    const head = data.subarray(0, 4096).toString('latin1');
    const raw = head.startsWith(DMAR_MAGIC);
    const dump = !raw && looksLikeAcpidump(head) && /^DMAR @ /m.test(data.toString('latin1'));
    if (raw || dump) out.push({ name: path, load: () => sourceFromBytes(data, path, 'binary') });
  }
  if (!out.length) out.push({ name: dir, load: () => { throw new InputError('no DMAR table in this directory', dir); } });
  return out;
}

function expand(args: readonly string[], machine?: MachineFacts): Input[] {
  if (!args.length && machine?.root) {
    const path = join(machine.root, 'sys/firmware/acpi/tables/DMAR');
    return [{ name: path, load: () => machineTable(path, machine) }];
  }
  if (!args.length) return [{ name: sysfsTablePath(), load: () => readSource(undefined) }];
  const out: Input[] = [];
  for (const a of args) {
    if (a === '-') {
      out.push({ name: 'stdin', load: () => readSource('-') });
      continue;
    }
    let dir = false;
    try {
      dir = statSync(a).isDirectory();
    } catch {
      // readSource reports the missing file
    }
    if (dir) out.push(...directoryInputs(a));
    else out.push({ name: a, load: () => readSource(a) });
  }
  return out;
}

/** --dmesg LOG: the boot log's memory map and kernel over the machine's (or alone); its units when the machine has none. */
export async function withDmesg(machine: MachineFacts | undefined, path: string): Promise<MachineFacts> {
  const { logUnits, readKernelLog } = await import('../machine/kernel-log.js');
  const log = readKernelLog(path);
  if (!log.memoryMap) process.stderr.write(`dmar: warning: ${log.source}: no BIOS-e820 lines (the memory-map checks need them)\n`);
  const facts = withKernelLog(log, machine);
  const units = logUnits(log);
  if (!facts.units && units.length) facts.units = units;
  return facts;
}

/** The MADT to cross-check against: the acpidump's, the machine's (--machine), or the running machine's beside its DMAR. */
export function companions(src: Source, machine?: MachineFacts): CompanionTable[] | undefined {
  if (src.tables) return src.tables;
  const apic = machine?.root ? acpiTable(machine.root, MADT_SIGNATURE) : undefined;
  if (apic) return [{ signature: MADT_SIGNATURE, bytes: apic }];
  if (src.kind !== 'sysfs') return undefined;
  try {
    return [{ signature: MADT_SIGNATURE, bytes: readFileSync(sysfsTablePath(MADT_SIGNATURE)) }];
  } catch {
    return undefined;
  }
}

function validateInput(input: Input, only: Set<string> | undefined, ignore: Set<string>, machine?: MachineFacts): FileResult {
  let src: Source;
  try {
    src = input.load();
  } catch (e) {
    if (e instanceof InputError) return { file: input.name, findings: [], error: { message: e.message, id: null, offset: e.offset >= 0 ? e.offset : null } };
    throw e;
  }
  const tables = companions(src, machine);
  try {
    const findings = validateBytes(src.bytes, { tables, only, ignore, machine });
    const r: FileResult = { file: input.name, findings, madt: tables?.some((t) => t.signature === MADT_SIGNATURE) ?? false };
    if (machine) r.notes = machineNotes(machine, only, ignore);
    return r;
  } catch (e) {
    if (e instanceof DmarError) return { file: input.name, findings: [], error: { message: e.message, id: e.code, offset: e.offset } };
    throw e;
  }
}

function ids(patterns: readonly string[], option: string): Set<string> {
  const { ids, unknown } = selectChecks(patterns.flatMap((p) => p.split(',')));
  if (unknown.length) throw new UsageError(`${option}: unknown check ID ${unknown.join(', ')} (dmar validate --list shows them)`);
  return ids;
}

async function paintFor(output: string | undefined) {
  if (output) return (await import('../dmar/format/paint.js')).PLAIN;
  return (await import('./colour.js')).painter();
}

async function listChecks(format: string, output: string | undefined): Promise<string> {
  if (format === 'json') return JSON.stringify({ checks: catalogue() }, null, 2) + '\n';
  if (format === 'junit') throw new UsageError('--list prints text or JSON, not junit');
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
  let status: number = EXIT.OK;
  if (opts.list) {
    out = await listChecks(format, opts.output);
  } else {
    let machine: MachineFacts | undefined = opts.machine === undefined ? undefined : loadMachine(opts.machine);
    if (opts.dmesg !== undefined) machine = await withDmesg(machine, opts.dmesg);
    const results = expand(inputs, machine).map((i) => validateInput(i, only, ignore, machine));
    if (format === 'json') out = (await import('../dmar/validate/report/json.js')).formatJson(results);
    else if (format === 'junit') {
      const ran = CHECKS.filter((c) => (!only || only.has(c.id)) && !ignore.has(c.id));
      out = (await import('../dmar/validate/report/junit.js')).formatJunit(results, { failOn: opts.failOn, checks: ran });
    } else out = (await import('../dmar/validate/report/text.js')).formatText(results, await paintFor(opts.output));
    if (results.some((r) => r.error)) status = EXIT.BAD_INPUT;
    else if (results.some((r) => r.findings.some((f) => atLeast(f.severity, opts.failOn)))) status = EXIT.FINDINGS;
  }
  if (opts.output) writeOutput(opts.output, out);
  else stdoutWrite(out);
  return status;
}
