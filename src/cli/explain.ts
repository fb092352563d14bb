/**
 * `dmar explain [LOG|-] [--table T] [--json]`: what every DMAR / DMAR-IR /
 * intel-iommu line of a kernel log means. The reading and the meanings are
 * in src/machine (kernel-log.ts, log-explain.ts); this prints them.
 */
import { hex } from '../acpi/hex.js';
import { jsonDocument, termText } from '../acpi/escape.js';
import { locatedLine, naming } from '../dmar/errors.js';
import type { Paint } from '../dmar/format/paint.js';
import { printable } from '../dmar/validate/check.js';
import { readKernelLog } from '../machine/kernel-log.js';
import { explainLog, tableView, type ExplainResult, type Explanation, type FaultGroup } from '../machine/log-explain.js';
import type { DecodedRegister } from '../machine/vtd-regs.js';
import { readTableSource, stdoutWrite, usageError, writeOutput } from './common.js';
import { io } from '../io/std.js';
import { stdinOnce } from './inputs.js';

export interface ExplainOpts {
  table?: string;
  json?: boolean;
  output?: string;
}

/** JSON document format (docs/explain.md: "dmar explain --json"). */
export const EXPLAIN_FORMAT = 'dmar-explain/1';

const h = (v: bigint | number) => hex(v);

function registerJson(r: DecodedRegister) {
  return {
    raw: h(r.raw),
    fields: r.fields.map((f) => ({
      name: f.name,
      bits: f.bits,
      value: f.value,
      ...(f.meaning ? { meaning: f.meaning } : {}),
      doc: f.doc,
      ...(f.deprecated ? { deprecated: true } : {}),
    })),
    reservedBits: r.reservedBits,
  };
}

function entryJson(x: Explanation) {
  const o: Record<string, unknown> = {
    line: x.line,
    text: x.text,
    subsystem: x.subsystem,
    kind: x.kind,
    category: x.category,
    meaning: x.meaning,
    checks: x.checks,
  };
  if (x.fix) o.fix = x.fix;
  if (x.continuation) o.continuation = x.continuation;
  if (x.fault) {
    const f = x.fault;
    o.fault = {
      device: f.device,
      ...(f.access ? { access: f.access } : {}),
      ...(f.pasid !== undefined ? { pasid: f.pasid } : {}),
      ...(f.pasidPrinted !== undefined ? { pasidPrinted: f.pasidPrinted } : {}),
      ...(f.address !== undefined ? { address: h(f.address) } : {}),
      ...(f.index !== undefined ? { index: h(f.index) } : {}),
      reason: f.reason
        ? {
            code: h(f.reason.code),
            kind: f.reason.kind,
            text: f.reason.text,
            ...(f.reason.scalable ? { scalable: true } : {}),
            ...(f.reason.hint ? { hint: f.reason.hint } : {}),
          }
        : null,
      ...(f.reasonPrinted !== undefined ? { reasonPrinted: f.reasonPrinted } : {}),
      ...(f.printed ? { printed: f.printed } : {}),
      ...(f.rmrrs
        ? {
            rmrrs: f.rmrrs.map((r) => ({
              structure: r.structure,
              offset: r.offset,
              base: h(r.base),
              end: h(r.end),
              namesDevice: r.namesDevice,
              scopes: r.scopes,
            })),
          }
        : {}),
    };
  }
  if (x.unit) {
    const u = x.unit;
    o.unit = { name: u.name, base: h(u.base), version: u.version, summary: u.summary, cap: registerJson(u.cap), ecap: registerJson(u.ecap) };
  }
  if (x.table) o.table = x.table;
  return o;
}

function faultGroupJson(g: FaultGroup) {
  return {
    kind: g.kind,
    device: g.device,
    ...(g.access ? { access: g.access } : {}),
    ...(g.pasid !== undefined ? { pasid: g.pasid } : {}),
    ...(g.pasidPrinted !== undefined ? { pasidPrinted: g.pasidPrinted } : {}),
    reason: g.reason ? h(g.reason.code) : null,
    ...(g.reasonPrinted !== undefined ? { reasonPrinted: g.reasonPrinted } : {}),
    lines: g.lines,
    first: g.first,
    last: g.last,
    ...(g.lowest !== undefined ? { lowest: h(g.lowest), highest: h(g.highest!) } : {}),
    ...(g.lowestIndex !== undefined ? { lowestIndex: h(g.lowestIndex), highestIndex: h(g.highestIndex!) } : {}),
    ...(g.rmrrs ? { rmrrs: g.rmrrs, rmrrLines: g.rmrrLines } : {}),
  };
}

export function explainJson(r: ExplainResult): string {
  const log = r.log;
  const doc = {
    format: EXPLAIN_FORMAT,
    log: log.source,
    lines: log.lines,
    boots: log.boots,
    kernel: log.kernel ?? null,
    commandLine: log.commandLine ?? null,
    memoryMap: log.memoryMap ? log.memoryMap.regions.map((m) => ({ start: h(m.start), end: h(m.end), type: m.type, kind: m.kind })) : null,
    memoryMapLines: log.memoryMap ? (log.memoryMap.lines ?? 'BIOS-e820') : null,
    table: r.table ?? null,
    entries: r.entries.map(entryJson),
    counts: r.counts,
    faults: r.faults.map(faultGroupJson),
  };
  return jsonDocument(doc);
}

function registerText(r: DecodedRegister): string {
  const parts = r.fields
    .filter((f) => f.value !== 0 || f.meaning !== undefined)
    .map((f) => {
      const name = f.deprecated ? `${f.name}(deprecated)` : f.name;
      if (f.meaning === undefined) return f.value === 1 && !f.bits.includes(':') ? name : `${name}=${h(f.value)}`;
      return `${name}=${h(f.value)} (${f.meaning})`;
    });
  if (r.reservedBits.length) parts.push(`reserved bits set: ${r.reservedBits.join(', ')}`);
  return `${h(r.raw)}: ${parts.join(' ')}`;
}

const CATEGORY_LABEL: Record<Explanation['category'], string> = {
  'firmware-bug': 'FIRMWARE BUG',
  fault: 'fault',
  unit: 'unit',
  table: 'table echo',
  info: 'info',
  unrecognised: 'unrecognised',
};

/** How the summary names the regions of a log's map, by the lines it was read from. */
const MAP_REGIONS = {
  'BIOS-e820': 'BIOS-e820 regions',
  extended: 'extended: regions (the firmware map past 128 entries)',
  user: 'user: regions (the map after memmap=/mem=)',
} as const;

export function explainText(r: ExplainResult, p: Paint): string {
  const log = r.log;
  // the log's own text: a UTF-8 log's characters as they are (termText escapes what a terminal must not get),
  // a latin1 one's bytes above 0x7e as \xNN, as every firmware string
  const logText = log.encoding === 'utf-8' ? termText : printable;
  const out: string[] = [];
  const facts = [`${log.lines} lines`];
  if (log.kernel) facts.push(`kernel ${logText(log.kernel.release)}`);
  facts.push(log.memoryMap ? `memory map: ${log.memoryMap.regions.length} ${MAP_REGIONS[log.memoryMap.lines ?? 'BIOS-e820']}` : 'no BIOS-e820 lines');
  if (log.boots > 1)
    facts.push(
      `${log.boots} boots (the map, kernel and units are ${log.factsBoot === log.boots ? "the last boot's" : `boot ${log.factsBoot}'s, the last that printed a memory map`})`,
    );
  facts.push(`${r.entries.length} DMAR/DMAR-IR/intel-iommu lines`);
  out.push(`${p.title(termText(log.source))}: ${facts.join(', ')}`);
  if (r.table) out.push(`${p.name('table')} ${termText(r.table)}`);
  for (const x of r.entries) {
    out.push('');
    out.push(`${p.dim(`line ${x.line}`)}  ${logText(x.text)}`);
    for (const c of x.continuation ?? []) out.push(`${' '.repeat(`line ${x.line}`.length)}  ${logText(c)}`);
    const label = CATEGORY_LABEL[x.category];
    const paint = x.category === 'firmware-bug' ? p.error : x.category === 'fault' ? p.warn : x.category === 'unrecognised' ? p.warn : p.info;
    out.push(`  ${paint(label)}: ${printable(x.meaning)}`);
    if (x.checks.length) out.push(`  ${p.name('check')}: ${x.checks.join(', ')}`);
    if (x.fix) out.push(`  ${p.name('fix')}: ${x.fix}`);
    if (x.unit) {
      out.push(`  ${p.name('CAP')}  ${registerText(x.unit.cap)}`);
      out.push(`  ${p.name('ECAP')} ${registerText(x.unit.ecap)}`);
    }
    if (x.fault?.printed) out.push(`  ${p.name('note')}: this kernel printed "${logText(x.fault.printed)}" for the code`);
    if (x.table) out.push(`  ${p.name('in the table')}: ${termText(x.table.text)}`);
  }
  if (!r.entries.length) out.push('', 'no DMAR, DMAR-IR or intel-iommu line in this log (VT-d off, not an Intel machine, or the log starts after boot)');
  const c = r.counts;
  const faultLines = r.faults.reduce((n, g) => n + g.lines, 0);
  if (faultLines > 1) out.push('', ...faultsText(r, faultLines, p, logText));
  out.push(
    '',
    `${c['firmware-bug']} firmware bug${c['firmware-bug'] === 1 ? '' : 's'}, ${c.fault} fault line${c.fault === 1 ? '' : 's'}, ${c.unit} unit${c.unit === 1 ? '' : 's'}, ${c.table} table line${c.table === 1 ? '' : 's'}, ${c.info} info, ${c.unrecognised} unrecognised`,
  );
  return out.join('\n') + '\n';
}

const range = (a: bigint, b: bigint) => (a === b ? h(a) : `${h(a)}-${h(b)}`);

/** The fault lines by device, access and reason: one line per group, so that a fault storm reads as one. */
function faultsText(r: ExplainResult, faultLines: number, p: Paint, logText: (s: string) => string): string[] {
  const devices = new Set(r.faults.map((g) => g.device)).size;
  const out = [
    `${p.name('faults by device')}: ${faultLines} DMA and interrupt faults from ${devices} device${devices === 1 ? '' : 's'} (${r.faults.length} group${r.faults.length === 1 ? '' : 's'} by device, access and reason)`,
  ];
  for (const g of r.faults) {
    const what =
      g.kind === 'intr-fault'
        ? 'interrupt'
        : `DMA ${g.access ?? 'access'}${g.pasid !== undefined ? ` with PASID ${h(g.pasid)}` : g.pasidPrinted !== undefined ? ' with a PASID wider than 32 bits (a damaged log)' : ''}`;
    const reason = g.reason
      ? `fault reason ${hex(g.reason.code, 2)} (${g.reason.text})`
      : g.reasonPrinted !== undefined
        ? `fault reason ${logText(g.reasonPrinted)} as printed (no reason a kernel prints)`
        : 'reason not in the log';
    const lines = g.lines === 1 ? `1 line (line ${g.first})` : `${g.lines} lines (lines ${g.first} to ${g.last})`;
    const where = [
      g.lowest !== undefined ? `address${g.lowest === g.highest ? '' : 'es'} ${range(g.lowest, g.highest!)}` : undefined,
      g.lowestIndex !== undefined ? `index${g.lowestIndex === g.highestIndex ? '' : 'es'} ${range(g.lowestIndex, g.highestIndex!)}` : undefined,
      g.rmrrs
        ? g.rmrrs.length
          ? `in ${g.rmrrs.join(', ')}${g.rmrrLines !== undefined && g.rmrrLines < g.lines ? ` (${g.rmrrLines} of the ${g.lines} lines; ${g.lines - g.rmrrLines === 1 ? 'the other' : 'the others'} in no RMRR)` : ''}`
          : 'in no RMRR'
        : undefined,
    ].filter((x) => x !== undefined);
    out.push(`  ${logText(g.device)}  ${what}, ${reason}: ${lines}${where.length ? `, ${where.join(', ')}` : ''}`);
  }
  return out;
}

export async function run(file: string | undefined, opts: ExplainOpts): Promise<number> {
  if (file === undefined) {
    if (io().isTTY.stdin) throw usageError('explain: give a kernel log file, or - to read one from stdin (dmesg | dmar explain -)');
    file = '-';
  }
  stdinOnce([], { 'the log': file, '--table': opts.table });
  // explain judges nothing by the memory map: a damaged map line is told, and the DMAR lines still explained
  const log = readKernelLog(file, {
    damagedMap: (m) => io().stderr(`dmar: warning: ${termText(locatedLine({ file: file === '-' ? 'stdin' : file, message: m }))}\n`),
  });
  let view: ReturnType<typeof tableView> | undefined;
  if (opts.table !== undefined) {
    const src = readTableSource(opts.table);
    view = naming(src.name, () => tableView(src.bytes, src.name));
    // read up to a framing defect, as the other reading commands read it: told on stderr, since the lines
    // about what follows it would otherwise be matched to nothing without a word
    const { reportProblems } = await import('./read-lenient.js');
    reportProblems({ source: src, ...view.ctx.decoded });
  }
  const result = explainLog(log, view);
  const text = opts.json
    ? explainJson(result)
    : explainText(result, opts.output && opts.output !== '-' ? (await import('../dmar/format/paint.js')).PLAIN : await (await import('./colour.js')).painter());
  if (opts.output) writeOutput(opts.output, text);
  else stdoutWrite(text);
  return 0;
}
