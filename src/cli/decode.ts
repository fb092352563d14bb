import { statSync } from 'node:fs';
import { termText } from '../acpi/escape.js';
import { decodeSource, failureLine, loadTable, stdoutWrite, writeOutput, type Loaded } from './common.js';
import { tableInputs } from './inputs.js';

export interface DecodeOpts {
  format: 'text' | 'json' | 'iasl' | 'hex';
  json?: boolean;
  iaslDialect: 'current' | '2020';
  output?: string;
}

type Format = DecodeOpts['format'];
/** One decoded table rendered in one format; `batch`: one of several (JSON on one line). */
type Render = (loaded: Loaded, batch: boolean) => string;

/** Load the formatter once per run: every table of a batch goes through the same one. */
async function renderer(format: Format, opts: DecodeOpts): Promise<Render> {
  if (format === 'json') {
    const { toJson } = await import('../dmar/json.js');
    return ({ table, source }, batch) =>
      batch ? JSON.stringify({ file: source.name, ...toJson(table, source.bytes) }) + '\n'
        : JSON.stringify(toJson(table, source.bytes), null, 2) + '\n';
  }
  if (format === 'iasl') {
    const { formatIasl } = await import('../dmar/format/iasl.js');
    return ({ table, source, end }) => {
      const r = formatIasl(table, { dialect: opts.iaslDialect, sourceName: source.name, rawBytes: source.bytes.subarray(0, end) });
      for (const w of r.warnings) process.stderr.write(`dmar: warning: ${termText(w)}\n`);
      return r.text;
    };
  }
  const paint = opts.output ? (await import('../dmar/format/paint.js')).PLAIN : await (await import('./colour.js')).painter();
  if (format === 'hex') {
    const { formatHex } = await import('../dmar/format/hex.js');
    return ({ table, source }) => formatHex(table, source.bytes, paint);
  }
  const { formatText } = await import('../dmar/format/text.js');
  return ({ table, source }) => formatText(table, source.bytes, paint);
}

/** The line that opens each table of a batch, naming its file (JSON Lines carry it as "file"). */
function banner(format: Format, name: string): string {
  if (format === 'json') return '';
  const shown = termText(name);
  return format === 'iasl' ? `/* ==> ${shown.replace(/\*\//g, '*\\/')} <== */\n` : `==> ${shown} <==\n`;
}

const isDirectory = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

export async function run(files: string[], opts: DecodeOpts): Promise<number> {
  const format = opts.json ? 'json' : opts.format;
  const render = await renderer(format, opts);
  if (files.length <= 1 && !(files[0] !== undefined && files[0] !== '-' && isDirectory(files[0]))) {
    const out = render(loadTable(files[0]), false);
    if (opts.output) writeOutput(opts.output, out);
    else stdoutWrite(out);
    return 0;
  }
  // Several tables: one at a time, each with its banner; one that cannot be read is a line on stderr.
  const parts: string[] = [];
  const emit = (s: string) => (opts.output ? parts.push(s) : stdoutWrite(s));
  let status = 0;
  let n = 0;
  for (const input of tableInputs(files)) {
    let loaded: Loaded;
    try {
      loaded = decodeSource(input.load());
    } catch (e) {
      const line = failureLine(e);
      if (line === undefined) throw e;
      process.stderr.write(`dmar: ${line}\n`);
      status = 2;
      continue;
    }
    const sep = n++ && format !== 'json' ? '\n' : '';
    emit(sep + banner(format, input.name) + render(loaded, true));
  }
  if (opts.output) writeOutput(opts.output, parts.join(''));
  return status;
}
