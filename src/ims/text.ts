/** `dmar ims` text: per policy the verdict in colour, then each rule that fired with the facts it read and their sources. */
import { quoted, termText } from '../acpi/escape.js';
import { hex } from '../acpi/hex.js';
import type { Paint } from '../dmar/format/paint.js';
import type { Decision, Selected } from './decide.js';
import { imsSummary, type ImsTable } from './json.js';
import { fact, type DescriptorValue, type Fact, type FactName } from './evidence.js';
import { ruleProposed, VERDICTS, type Verdict } from './policy.js';

export function paintVerdict(p: Paint, v: Verdict): string {
  return v === 'native' ? p.ok(v) : v === 'virtualized' ? p.info(v) : p.warn(v);
}

function descriptorText(v: DescriptorValue): string {
  if (v === 'absent') return 'absent';
  const feats = Object.entries(v.features)
    .filter(([, on]) => on)
    .map(([n]) => n);
  const unknown = v.unknownFeatures ? `, unnamed feature bits ${hex(v.unknownFeatures)}` : '';
  const sig = v.hypervisorSignature ? `, signature ${quoted(v.hypervisorSignature)}` : '';
  return `VIRTUALIZED=${v.virtualized ? 1 : 0}${sig}, features ${feats.length ? feats.join(' ') : 'none'}${unknown}`;
}

export function factValueText(name: FactName, f: Fact<unknown>): string {
  if (name === 'descriptor') return descriptorText(f.value as DescriptorValue);
  return String(f.value);
}

function factLabel(p: Paint, name: FactName, f: Fact<unknown>): [string, string] {
  const tag = f.proposed ? ' (proposed)' : f.strength ? ` (${f.strength})` : f.derived ? ' (derived)' : '';
  return [name + tag, p.name(name) + (f.proposed ? p.proposed(tag) : p.dim(tag))];
}

export function decisionText(d: Decision, p: Paint): string {
  const lines: string[] = [];
  const prop = d.policy.proposed ? ' ' + p.proposed('(proposed)') : '';
  const as = d.requested ? ` ${p.dim(`(as ${d.requested})`)}` : '';
  lines.push(`${p.title(d.policy.name)}${prop}${as}: ${paintVerdict(p, d.verdict)}`);
  lines.push(`  ${p.dim(d.policy.summary)}`);
  for (const r of d.rules) {
    const rp = ruleProposed(d.evidence, r) ? ' ' + p.proposed('(proposed)') : '';
    lines.push(`  rule ${r.id}${rp}: ${r.text} ${p.dim('->')} ${paintVerdict(p, r.verdict)}`);
    const rows = r.uses.map((n) => {
      const f = fact(d.evidence, n);
      const [plain, painted] = factLabel(p, n, f);
      return { plain, painted, value: factValueText(n, f), source: termText(f.source), spoof: f.spoof };
    });
    const w = Math.max(...rows.map((x) => x.plain.length));
    const vw = Math.max(...rows.map((x) => x.value.length));
    for (const x of rows) {
      lines.push(`      ${x.painted}${' '.repeat(w - x.plain.length)}  ${p.value(x.value)}${' '.repeat(vw - x.value.length)}  ${p.dim(x.source)}`);
      if (x.spoof) lines.push(`      ${' '.repeat(w + vw + 4)}${p.dim(`spoofed: ${x.spoof}`)}`);
    }
  }
  if (d.policy.ignores?.length) lines.push(`  ${p.dim(`ignores: ${d.policy.ignores.join(', ')}`)}`);
  for (const f of findingLines(d, p)) lines.push(`  ${f}`);
  for (const w of d.warnings) lines.push(`  ${p.warn('warning')}: ${termText(w)}`);
  for (const n of d.notes) lines.push(`  ${p.info('note')}: ${termText(n)}`);
  return lines.join('\n') + '\n';
}

/** A decision's findings, one line each: severity, message, code. */
function findingLines(d: Decision, p: Paint): string[] {
  return d.findings.map((f) => {
    const tag = f.severity === 'error' ? p.error('error') : f.severity === 'warning' ? p.warn('warning') : p.info('info');
    return `${tag}: ${termText(f.message)} [${f.code}]`;
  });
}

/** `dmar ims DIR`: one row per table and policy (verdict, the rule that fired), then the count of each verdict per policy. */
export function batchText(tables: readonly ImsTable[], selected: readonly Selected[], p: Paint): string {
  const rows = tables.flatMap((t) =>
    t.error !== undefined
      ? [{ input: termText(t.input), policy: '', verdict: undefined as Verdict | undefined, rule: `error: ${termText(t.error)}`, below: [] as string[] }]
      : t.decisions!.map((d) => ({
          input: termText(t.input),
          policy: d.policy.name,
          verdict: d.verdict as Verdict | undefined,
          rule: d.rules[0]!.id,
          // what the decision found (the conflict error of opt-in rule 3) and warned of, under its row as in a single table's text
          below: [...findingLines(d, p), ...d.warnings.map((w) => `${p.warn('warning')}: ${termText(w)}`)],
        })),
  );
  const iw = Math.max(5, ...rows.map((r) => r.input.length));
  const pw = Math.max(6, ...rows.map((r) => r.policy.length));
  const lines = [p.title(`${'TABLE'.padEnd(iw)}  ${'POLICY'.padEnd(pw)}  ${'VERDICT'.padEnd(11)}  RULE`)];
  for (const r of rows) {
    const v = r.verdict ? paintVerdict(p, r.verdict) + ' '.repeat(11 - r.verdict.length) : ' '.repeat(11);
    lines.push(`${r.input.padEnd(iw)}  ${r.policy.padEnd(pw)}  ${v}  ${r.verdict ? p.dim(r.rule) : p.error(r.rule)}`);
    for (const b of r.below) lines.push(`    ${b}`);
  }
  lines.push('');
  const n = tables.length;
  const errors = tables.filter((t) => t.error !== undefined).length;
  lines.push(p.title(`summary: ${n} table${n === 1 ? '' : 's'}${errors ? `, ${errors} unreadable` : ''}`));
  const sum = imsSummary(tables, selected);
  for (const s of selected) {
    const label = s.policy.name + (s.policy.proposed ? ' (proposed)' : '');
    const counts = VERDICTS.map((v) => `${String(sum[s.policy.name]![v]).padStart(5)} ${v}`.padEnd(18)).join('');
    lines.push(`  ${label.padEnd(26)}${counts}`.trimEnd());
  }
  for (const s of selected) if (s.note) lines.push(`  ${p.info('note')}: ${termText(s.note)}`);
  return lines.join('\n') + '\n';
}
