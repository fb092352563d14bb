/** `dmar ims matrix` output: a JSON document and a text table. */
import type { Paint } from '../dmar/format/paint.js';
import type { CellClass, Matrix } from './matrix.js';
import { paintVerdict } from './text.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const known = (k: boolean) => (k ? 'known' : 'unknown');

/** {policies, cells: [{scenario, id, vm, cachingMode, available, evidence, verdicts}], summary} */
export function matrixJson(m: Matrix): Json {
  return {
    policies: m.policies.map((p) => ({ name: p.name, proposed: p.proposed })),
    cells: m.cells.map((c) => ({
      scenario: c.scenario.name,
      id: c.scenario.id,
      vm: c.scenario.vm,
      cachingMode: c.scenario.cachingMode ? 'on' : 'off',
      available: c.scenario.available,
      evidence: { cpuHypervisor: known(c.hypervisorKnown), cachingMode: known(c.cachingModeKnown) },
      verdicts: Object.fromEntries(c.results.map((r) => [r.policy, { verdict: r.verdict, class: r.class }])),
    })),
    summary: Object.fromEntries(Object.entries(m.summary).map(([k, t]) => [k, { ...t }])),
  };
}

function paintClass(p: Paint, c: CellClass): string {
  return c === 'UNSAFE' ? p.error(c) : c === 'lost' ? p.warn(c) : p.ok(c);
}

function pad(plain: string, painted: string, w: number): string {
  return painted + ' '.repeat(Math.max(0, w - plain.length));
}

export function matrixText(m: Matrix, p: Paint): string {
  const names = m.policies.map((x) => x.name);
  const colW = Math.max(16, ...names.map((n) => n.length + 2));
  const evW = [16, 14];
  const lines: string[] = [];
  const head = ['hypervisor bit', 'caching mode'].map((h, i) => h.padEnd(evW[i]!)).join('') + names.map((n) => n.padEnd(colW)).join('');
  lines.push(p.title('  ' + head.trimEnd()));
  let group = '';
  for (const c of m.cells) {
    const s = c.scenario;
    const g = `${s.name}${s.vm ? `, caching mode ${s.cachingMode ? 'on' : 'off'}` : ''} (really available: ${s.available})`;
    if (g !== group) {
      lines.push(p.name(g));
      group = g;
    }
    let row = '  ' + known(c.hypervisorKnown).padEnd(evW[0]!) + known(c.cachingModeKnown).padEnd(evW[1]!);
    for (const r of c.results) {
      const plain = `${r.verdict} ${r.class}`;
      row += pad(plain, `${paintVerdict(p, r.verdict)} ${paintClass(p, r.class)}`, colW);
    }
    lines.push(row.trimEnd());
  }
  lines.push('');
  lines.push(p.title('summary'.padEnd(26) + 'UNSAFE  lost  ok'));
  for (const pol of m.policies) {
    const t = m.summary[pol.name]!;
    const label = pol.name + (pol.proposed ? ' (proposed)' : '');
    const u = String(t.unsafe).padStart(6);
    lines.push(`${pad(label, pol.name + (pol.proposed ? ' ' + p.proposed('(proposed)') : ''), 26)}${t.unsafe ? p.error(u) : u}${String(t.lost).padStart(6)}${String(t.ok).padStart(4)}`);
  }
  lines.push('');
  lines.push(p.dim('UNSAFE: native IMS chosen inside a VM (the device would send messages the hypervisor cannot remap);'));
  lines.push(p.dim('lost: no IMS where native (bare metal) or virtualized (descriptor with IMS) really worked.'));
  return lines.join('\n') + '\n';
}
