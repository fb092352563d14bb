/** `--format text`: findings grouped by file, coloured by severity, offset in hex, a hint under each. */
import { termText } from '../../../acpi/escape.js';
import { hex, hexDigits } from '../../../acpi/hex.js';
import type { Paint } from '../../format/paint.js';
import type { Finding, Severity } from '../check.js';
import { summarize, type FileResult } from './result.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 || word === 'info' ? '' : 's'}`;

function colour(p: Paint, s: Severity): (x: string) => string {
  return s === 'error' ? p.error : s === 'warning' ? p.warn : p.info;
}

function counts(findings: readonly Finding[]): string {
  const n = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return [plural(n('error'), 'error'), plural(n('warning'), 'warning'), plural(n('info'), 'info')].join(', ');
}

/** Widths of the offset (hex digits) and ID columns, in one pass: no spread, whatever the number of findings. */
function widths(results: readonly FileResult[]): { offset: number; id: number } {
  let max = 0;
  let id = 0;
  for (let i = 0; i < results.length; i++) {
    const findings = results[i]!.findings;
    for (let j = 0; j < findings.length; j++) {
      max = Math.max(max, findings[j]!.offset);
      id = Math.max(id, findings[j]!.id.length);
    }
  }
  return { offset: Math.max(3, hexDigits(max).length), id };
}

export function reportText(results: readonly FileResult[], p: Paint): string {
  const { offset: w, id: idWidth } = widths(results);
  const indent = ' '.repeat(2 + 7 + 2 + (w + 2) + 2 + idWidth + 2);
  const ok = `  ${p.ok('ok')}: no findings`;
  // by index, and no list made for a result without notes: one pass over every result of a batch. The text is
  // one string grown by +=, which V8 keeps as a rope and flattens once, when it is written: a list of lines
  // joined at the end took three times as long for a batch of 10,000 tables (three lines each)
  let out = '';
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (r.error) continue; // on stderr, as it happened (the summary counts it)
    out += `${p.title(termText(r.file))}\n`;
    for (let j = 0; j < r.findings.length; j++) {
      const f = r.findings[j]!;
      const sev = colour(p, f.severity)(f.severity.padEnd(7));
      const off = p.dim(hex(f.offset, w));
      const where = f.structure ? `${f.structure}${f.scope !== undefined ? `, scope ${f.scope}` : ''}: ` : '';
      const proposed = f.proposed ? ' ' + p.proposed('(proposed)') : '';
      out += `  ${sev}  ${off}  ${f.id.padEnd(idWidth)}  ${where}${termText(f.message)}${proposed}\n${indent}${p.dim('fix: ' + f.hint)}\n`;
    }
    if (r.notes) for (let j = 0; j < r.notes.length; j++) out += `  ${p.dim(`note: ${termText(r.notes[j]!)}`)}\n`;
    out += `${r.findings.length ? `  ${counts(r.findings)}` : r.madt ? `${ok} (MADT cross-checked)` : ok}\n\n`;
  }
  return `${out}${summaryLine(results, p)}\n`;
}

/** "3 tables: 1 error, 0 warnings, 2 info, 1 unreadable": an input that could not be read is no table. */
export function summaryLine(results: readonly FileResult[], p: Paint): string {
  const s = summarize(results);
  const tail = s.unreadable ? `, ${p.error(`${s.unreadable} unreadable`)}` : '';
  return `${plural(s.files - s.unreadable, 'table')}: ${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${plural(s.info, 'info')}${tail}`;
}
