/** `--format text`: findings grouped by file, coloured by severity, offset in hex, a hint under each. */
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

function offsetWidth(results: readonly FileResult[]): number {
  let max = 0;
  for (const r of results) for (const f of r.findings) max = Math.max(max, f.offset);
  return Math.max(3, max.toString(16).length);
}

export function formatText(results: readonly FileResult[], p: Paint): string {
  const out: string[] = [];
  const w = offsetWidth(results);
  const idWidth = Math.max(0, ...results.flatMap((r) => r.findings.map((f) => f.id.length)));
  const indent = ' '.repeat(2 + 7 + 2 + (w + 2) + 2 + idWidth + 2);
  for (const r of results) {
    out.push(p.title(r.file));
    if (r.error) {
      const at = r.error.offset !== null && r.error.offset >= 0 ? `offset 0x${r.error.offset.toString(16)}: ` : '';
      out.push(`  ${p.error('cannot validate')}: ${at}${r.error.message}${r.error.id ? p.dim(` (${r.error.id})`) : ''}`);
      out.push('');
      continue;
    }
    for (const f of r.findings) {
      const sev = colour(p, f.severity)(f.severity.padEnd(7));
      const off = p.dim('0x' + f.offset.toString(16).padStart(w, '0'));
      const where = f.structure ? `${f.structure}${f.scope !== undefined ? `, scope ${f.scope}` : ''}: ` : '';
      const proposed = f.proposed ? ' ' + p.proposed('(proposed)') : '';
      out.push(`  ${sev}  ${off}  ${f.id.padEnd(idWidth)}  ${where}${f.message}${proposed}`);
      out.push(`${indent}${p.dim('fix: ' + f.hint)}`);
    }
    for (const n of r.notes ?? []) out.push(`  ${p.dim('note: ' + n)}`);
    out.push(r.findings.length ? `  ${counts(r.findings)}` : `  ${p.ok('ok')}: no findings${r.madt ? ' (MADT cross-checked)' : ''}`);
    out.push('');
  }
  const s = summarize(results);
  const tail = s.unreadable ? `, ${p.error(`${s.unreadable} unreadable`)}` : '';
  out.push(`${plural(s.files, 'table')}: ${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${plural(s.info, 'info')}${tail}`);
  return out.join('\n') + '\n';
}
