/** `dmar ims matrix` output: a JSON document and a text table. */
import type { Paint } from '../dmar/format/paint.js';
import { hypervisorSeen, type CellClass, type Matrix, type MatrixCell } from './matrix.js';
import { paintVerdict } from './text.js';
import type { Json } from '../types/json.js';

/** What the OS read in a cell: the value, or "unknown". */
function seen(c: MatrixCell): { cpuHypervisor: boolean | 'unknown'; cachingMode: boolean | 'unknown' } {
  return {
    cpuHypervisor: c.hypervisorKnown ? hypervisorSeen(c.scenario) : 'unknown',
    cachingMode: c.cachingModeKnown ? c.scenario.cachingMode : 'unknown',
  };
}

/** What a scenario marked `lies` means, in the text output and the JSON alike (proposals.md: "the output says so"). */
const LIES = "no policy that trusts the platform's word can see through it";

/**
 * {format: "dmar-ims-matrix/1", policies: [{name, proposed}], cells: [{scenario, id, vm, cachingMode, available, lies,
 *  evidence: {cpuHypervisor, cachingMode}, verdicts: {<policy>: {verdict, class, rule, reason}}}], summary, notes}
 */
export function matrixJson(m: Matrix): Json {
  return {
    format: 'dmar-ims-matrix/1',
    policies: m.policies.map((p) => ({ name: p.name, proposed: p.proposed })),
    cells: m.cells.map((c) => ({
      scenario: c.scenario.name,
      id: c.scenario.id,
      vm: c.scenario.vm,
      cachingMode: c.scenario.cachingMode ? 'on' : 'off',
      available: c.scenario.available,
      lies: c.scenario.lies === true,
      evidence: seen(c),
      verdicts: Object.fromEntries(c.results.map((r) => [r.policy, { verdict: r.verdict, class: r.class, rule: r.rule, reason: r.reason }])),
    })),
    summary: Object.fromEntries(Object.entries(m.summary).map(([k, t]) => [k, { ...t }])),
    notes: [`lies (the hypervisor lies): ${LIES}`],
  };
}

function paintClass(p: Paint, c: CellClass): string {
  return c === 'UNSAFE' ? p.error(c) : c === 'lost' ? p.warn(c) : p.ok(c);
}

function pad(plain: string, painted: string, w: number): string {
  return painted + ' '.repeat(Math.max(0, w - plain.length));
}

const known = (v: boolean | 'unknown', on: string, off: string) => (v === 'unknown' ? 'unknown' : `known: ${v ? on : off}`);

export function matrixText(m: Matrix, p: Paint): string {
  const names = m.policies.map((x) => x.name);
  const colW = Math.max(16, ...names.map((n) => n.length + 2));
  const evW = [16, 14];
  const lines: string[] = [];
  const head = ['hypervisor bit', 'caching mode'].map((h, i) => h.padEnd(evW[i]!)).join('') + names.map((n) => n.padEnd(colW)).join('');
  lines.push(p.title('  ' + head.trimEnd()));
  const sub = ' '.repeat(evW[0]! + evW[1]!) + m.policies.map((x) => (x.proposed ? '(proposed)' : '').padEnd(colW)).join('');
  lines.push(p.proposed('  ' + sub.trimEnd()));
  let group = '';
  for (const c of m.cells) {
    const s = c.scenario;
    const g = `${s.name}${s.vm ? `, caching mode ${s.cachingMode ? 'on' : 'off'}` : ''} (really available: ${s.available}${s.lies ? '; the hypervisor lies' : ''})`;
    if (g !== group) {
      lines.push(p.name(g));
      group = g;
    }
    const e = seen(c);
    let row = '  ' + known(e.cpuHypervisor, 'set', 'clear').padEnd(evW[0]!) + known(e.cachingMode, 'on', 'off').padEnd(evW[1]!);
    for (const r of c.results) {
      const plain = `${r.verdict} ${r.class}`;
      row += pad(plain, `${paintVerdict(p, r.verdict)} ${paintClass(p, r.class)}`, colW);
    }
    lines.push(row.trimEnd());
  }
  lines.push('');
  lines.push(p.title('summary'.padEnd(26) + 'UNSAFE  lost  ok  UNSAFE where the hypervisor lies'));
  for (const pol of m.policies) {
    const t = m.summary[pol.name]!;
    const lying = m.cells.filter((c) => c.scenario.lies && c.results.find((r) => r.policy === pol.name)!.class === 'UNSAFE').length;
    const label = pol.name + (pol.proposed ? ' (proposed)' : '');
    const u = String(t.unsafe).padStart(6);
    lines.push(
      `${pad(label, pol.name + (pol.proposed ? ' ' + p.proposed('(proposed)') : ''), 26)}${t.unsafe ? p.error(u) : u}${String(t.lost).padStart(6)}${String(t.ok).padStart(4)}${String(lying).padStart(8)}`,
    );
  }
  lines.push('');
  lines.push(p.dim('known: set/clear, on/off: what the OS reads (a VM that hides the hypervisor bit reads clear); unknown: it cannot tell.'));
  lines.push(p.dim('TDX, SMBIOS and DMI signals are unknown in every cell; each table carries the OEM IDs its firmware writes.'));
  lines.push(p.dim('UNSAFE: native IMS chosen inside a VM (the device would send messages the hypervisor cannot remap);'));
  lines.push(p.dim('lost: no IMS where native (bare metal) or virtualized (descriptor with IMS) really worked.'));
  lines.push(p.dim(`"the hypervisor lies": ${LIES}.`));
  return lines.join('\n') + '\n';
}
