/** `dmar ims` text: per policy the verdict in colour, then each rule that fired with the facts it read and their sources. */
import { quoted, termText } from '../acpi/escape.js';
import type { Paint } from '../dmar/format/paint.js';
import type { Decision } from './decide.js';
import { fact, type DescriptorValue, type Fact, type FactName } from './evidence.js';
import { ruleProposed, type Verdict } from './policy.js';

export function paintVerdict(p: Paint, v: Verdict): string {
  return v === 'native' ? p.ok(v) : v === 'virtualized' ? p.info(v) : p.warn(v);
}

function descriptorText(v: DescriptorValue): string {
  if (v === 'absent') return 'absent';
  const feats = Object.entries(v.features).filter(([, on]) => on).map(([n]) => n);
  const unknown = v.unknownFeatures ? `, unnamed feature bits 0x${v.unknownFeatures.toString(16)}` : '';
  const sig = v.hypervisorSignature ? `, signature ${quoted(v.hypervisorSignature)}` : '';
  return `VIRTUALIZED=${v.virtualized ? 1 : 0}${sig}, features ${feats.length ? feats.join(' ') : 'none'}${unknown}`;
}

export function factValueText(name: FactName, f: Fact<unknown>): string {
  if (name === 'descriptor') return descriptorText(f.value as DescriptorValue);
  return String(f.value);
}

function factLabel(p: Paint, name: FactName, f: Fact<unknown>): [string, string] {
  const tag = f.proposed ? ' (proposed)' : f.weak ? ' (weak)' : f.derived ? ' (derived)' : '';
  return [name + tag, p.name(name) + (f.proposed ? p.proposed(tag) : p.dim(tag))];
}

export function decisionText(d: Decision, p: Paint): string {
  const lines: string[] = [];
  const prop = d.policy.proposed ? ' ' + p.proposed('(proposed)') : '';
  lines.push(`${p.title(d.policy.name)}${prop}: ${paintVerdict(p, d.verdict)}`);
  lines.push(`  ${p.dim(d.policy.summary)}`);
  for (const r of d.rules) {
    const rp = ruleProposed(d.evidence, r) ? ' ' + p.proposed('(proposed)') : '';
    lines.push(`  rule ${r.id}${rp}: ${r.text} ${p.dim('->')} ${paintVerdict(p, r.verdict)}`);
    const rows = r.uses.map((n) => {
      const f = fact(d.evidence, n);
      const [plain, painted] = factLabel(p, n, f);
      return { plain, painted, value: factValueText(n, f), source: termText(f.source) };
    });
    const w = Math.max(...rows.map((x) => x.plain.length));
    const vw = Math.max(...rows.map((x) => x.value.length));
    for (const x of rows) {
      lines.push(`      ${x.painted}${' '.repeat(w - x.plain.length)}  ${p.value(x.value)}${' '.repeat(vw - x.value.length)}  ${p.dim(x.source)}`);
    }
  }
  if (d.policy.ignores?.length) lines.push(`  ${p.dim(`ignores: ${d.policy.ignores.join(', ')}`)}`);
  for (const f of d.findings) {
    const tag = f.severity === 'error' ? p.error('error') : f.severity === 'warning' ? p.warn('warning') : p.info('info');
    lines.push(`  ${tag}: ${termText(f.message)} [${f.code}]`);
  }
  for (const w of d.warnings) lines.push(`  ${p.warn('warning')}: ${termText(w)}`);
  return lines.join('\n') + '\n';
}
