import { termText } from '../acpi/escape.js';
import { writeOutput, loadTable, stdoutWrite, UsageError } from './common.js';
import type { Mark } from '../dmar/layout.js';

export interface DecodeOpts {
  format: 'text' | 'json' | 'iasl' | 'hex';
  json?: boolean;
  iaslDialect: 'current' | '2020';
  output?: string;
  lenient?: boolean;
}

/** Exit status of --lenient when the table is broken (what it shows is not the whole table). */
const BROKEN = 1;

export async function run(file: string | undefined, opts: DecodeOpts): Promise<number> {
  const format = opts.json ? 'json' : opts.format;
  if (opts.lenient && format === 'iasl') {
    throw new UsageError('--lenient shows a broken table as text, hex or json: iasl source of it would not compile back to its bytes');
  }
  const { table, source, end, problems } = opts.lenient ? (await import('./read-lenient.js')).loadForReading(file) : loadTable(file);
  const breaks: Mark[] = problems.filter((p) => p.severity === 'error').map((p) => ({ offset: p.offset, code: p.code, message: p.message }));
  let out: string;
  if (format === 'json') {
    const { toJson } = await import('../dmar/json.js');
    const doc = toJson(table, source.bytes);
    if (opts.lenient) doc.problems = breaks.map((b) => ({ code: b.code, offset: b.offset, message: b.message }));
    out = JSON.stringify(doc, null, 2) + '\n';
  } else if (format === 'iasl') {
    const { formatIasl } = await import('../dmar/format/iasl.js');
    const r = formatIasl(table, { dialect: opts.iaslDialect, sourceName: source.name, rawBytes: source.bytes.subarray(0, end) });
    for (const w of r.warnings) process.stderr.write(`dmar: warning: ${termText(w)}\n`);
    out = r.text;
  } else if (format === 'hex') {
    const { formatHex } = await import('../dmar/format/hex.js');
    const { painter } = await import('./colour.js');
    out = formatHex(table, source.bytes, opts.output ? (await import('../dmar/format/paint.js')).PLAIN : await painter(), breaks);
  } else {
    const { formatText } = await import('../dmar/format/text.js');
    const { painter } = await import('./colour.js');
    out = formatText(table, source.bytes, opts.output ? (await import('../dmar/format/paint.js')).PLAIN : await painter(), breaks);
  }
  if (opts.output) writeOutput(opts.output, out);
  else stdoutWrite(out);
  return breaks.length ? BROKEN : 0;
}
