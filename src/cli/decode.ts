import { termText } from '../acpi/escape.js';
import { writeOutput, loadTable, stdoutWrite } from './common.js';

export interface DecodeOpts {
  format: 'text' | 'json' | 'iasl' | 'hex';
  json?: boolean;
  iaslDialect: 'current' | '2020';
  output?: string;
}

export async function run(file: string | undefined, opts: DecodeOpts): Promise<number> {
  const { table, source, end } = loadTable(file);
  const format = opts.json ? 'json' : opts.format;
  let out: string;
  if (format === 'json') {
    const { toJson } = await import('../dmar/json.js');
    out = JSON.stringify(toJson(table, source.bytes), null, 2) + '\n';
  } else if (format === 'iasl') {
    const { formatIasl } = await import('../dmar/format/iasl.js');
    const r = formatIasl(table, { dialect: opts.iaslDialect, sourceName: source.name, rawBytes: source.bytes.subarray(0, end) });
    for (const w of r.warnings) process.stderr.write(`dmar: warning: ${termText(w)}\n`);
    out = r.text;
  } else if (format === 'hex') {
    const { formatHex } = await import('../dmar/format/hex.js');
    const { painter } = await import('./colour.js');
    out = formatHex(table, source.bytes, opts.output ? (await import('../dmar/format/paint.js')).PLAIN : await painter());
  } else {
    const { formatText } = await import('../dmar/format/text.js');
    const { painter } = await import('./colour.js');
    out = formatText(table, source.bytes, opts.output ? (await import('../dmar/format/paint.js')).PLAIN : await painter());
  }
  if (opts.output) writeOutput(opts.output, out);
  else stdoutWrite(out);
  return 0;
}
