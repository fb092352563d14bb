import { termText, jsonDocument, jsonLine } from '../acpi/escape.js';
import type { Mark } from '../dmar/layout.js';
import { decodeSource, failureLine, loadTable, readTableSource, stdoutWrite, usageError, writeOutput, type Loaded } from './common.js';
import { isDirectory } from '../io/input.js';
import { tableInputs } from './inputs.js';
import { reportProblems } from './read-lenient.js';
import { io } from '../io/std.js';
import { locatedLine } from '../dmar/errors.js';

export interface DecodeOpts {
  format: 'text' | 'json' | 'iasl' | 'hex';
  json?: boolean;
  /** Undefined: current (given only with --format iasl). */
  iaslDialect?: 'current' | '2020';
  output?: string;
  lenient?: boolean;
}

/** Exit status of --lenient when a table is broken (what it shows is not the whole table). */
const BROKEN = 1;

type Format = DecodeOpts['format'];
/** One decoded table rendered in one format; `batch`: one of several (JSON on one line); `breaks`: where a lenient walk broke. */
type Render = (loaded: Loaded, batch: boolean, breaks: Mark[] | undefined) => string;

/** Load the formatter once per run: every table of a batch goes through the same one. */
async function renderer(format: Format, opts: DecodeOpts): Promise<Render> {
  if (format === 'json') {
    const { toJson } = await import('../dmar/codec/json.js');
    return ({ table, source }, batch, breaks) => {
      const doc = toJson(table, source.bytes);
      if (breaks) doc.problems = breaks.map((b) => ({ code: b.code, offset: b.offset, message: b.message }));
      return batch ? jsonLine({ file: source.name, ...doc }) : jsonDocument(doc);
    };
  }
  if (format === 'iasl') {
    const { formatIasl } = await import('../dmar/codec/iasl.js');
    return ({ table, source, end }) => {
      const r = formatIasl(table, { dialect: opts.iaslDialect, sourceName: source.name, rawBytes: source.bytes.subarray(0, end) });
      for (const w of r.warnings) io().stderr(`dmar: warning: ${termText(w)}\n`);
      return r.text;
    };
  }
  // -o - is stdout: coloured as stdout is
  const paint = opts.output && opts.output !== '-' ? (await import('../dmar/format/paint.js')).PLAIN : await (await import('./colour.js')).painter();
  if (format === 'hex') {
    const { tableHex } = await import('../dmar/format/hex.js');
    return ({ table, source }, _batch, breaks) => tableHex(table, source.bytes, paint, breaks);
  }
  const { tableText } = await import('../dmar/format/text.js');
  return ({ table, source }, _batch, breaks) => tableText(table, source.bytes, paint, breaks);
}

/** The line that opens each table of a batch, naming its file (JSON Lines carry it as "file"). */
function banner(format: Format, name: string): string {
  if (format === 'json') return '';
  const shown = termText(name);
  return format === 'iasl' ? `/* ==> ${shown.replace(/\*\//g, '*\\/')} <== */\n` : `==> ${shown} <==\n`;
}

/**
 * Bytes after Table Length are no part of the table: every format but hex (which shows them, "Past Table
 * Length") leaves them out, so say so on stderr rather than drop them in silence.
 */
function warnPastLength({ source, end }: Loaded, format: Format): void {
  const extra = source.bytes.length - end;
  if (extra <= 0 || format === 'hex') return;
  const what = `${extra} byte${extra === 1 ? '' : 's'} after Table Length (${end}) are no part of the table and not shown (--format hex shows them)`;
  io().stderr(`dmar: warning: ${termText(locatedLine({ file: source.name, offset: end, message: what }, { decimal: false }))}\n`);
}

/** --lenient: the table however far it frames, its breaks on stderr and marked in the output. */
function decodeLenient(loaded: Loaded): Mark[] {
  reportProblems(loaded);
  return loaded.problems.filter((p) => p.severity === 'error').map((p) => ({ offset: p.offset, code: p.code, message: p.message }));
}

export async function run(files: string[], opts: DecodeOpts): Promise<number> {
  const format = opts.json ? 'json' : opts.format;
  if (opts.lenient && format === 'iasl') {
    throw usageError('--lenient shows a broken table as text, hex or json: iasl source of it would not compile back to its bytes');
  }
  if (opts.iaslDialect !== undefined && format !== 'iasl')
    throw usageError(`--iasl-dialect chooses the iasl source's dialect: give it with --format iasl, not ${format}`);
  const render = await renderer(format, opts);
  if (files.length <= 1 && !(files[0] !== undefined && files[0] !== '-' && isDirectory(files[0]))) {
    const loaded = opts.lenient ? decodeSource(readTableSource(files[0]), { strict: false }) : loadTable(files[0]);
    const breaks = opts.lenient ? decodeLenient(loaded) : undefined;
    warnPastLength(loaded, format);
    const out = render(loaded, false, breaks);
    if (opts.output) writeOutput(opts.output, out);
    else stdoutWrite(out);
    return breaks?.length ? BROKEN : 0;
  }
  // Several tables: one at a time, each with its banner; one that cannot be read is a line on stderr.
  const parts: string[] = [];
  const emit = (s: string) => (opts.output ? parts.push(s) : stdoutWrite(s));
  let status = 0;
  let n = 0;
  for (const input of tableInputs(files)) {
    let loaded: Loaded;
    let breaks: Mark[] | undefined;
    try {
      loaded = decodeSource(input.load(), { strict: !opts.lenient });
      if (opts.lenient) breaks = decodeLenient(loaded);
    } catch (e) {
      const line = failureLine(e);
      if (line === undefined) throw e;
      io().stderr(`dmar: ${termText(line)}\n`);
      status = 2;
      continue;
    }
    if (breaks?.length && status === 0) status = BROKEN;
    warnPastLength(loaded, format);
    const sep = n++ && format !== 'json' ? '\n' : '';
    emit(sep + banner(format, input.name) + render(loaded, true, breaks));
  }
  if (opts.output) writeOutput(opts.output, parts.join(''));
  return status;
}
