/** `dmar topology [TABLE] [--machine DIR|live] [--json]`: units -> devices, RMRRs, VFIO verdicts, predicted groups. */
import { join } from 'node:path';
import { jsonDocument, termText } from '../acpi/escape.js';
import { printable } from '../dmar/validate/check.js';
import type { Paint } from '../dmar/format/paint.js';
import { topology, type DeviceView, type Topology } from '../machine/topology.js';
import { stdoutWrite } from './common.js';
import { loadForReading } from './read-lenient.js';
import { loadMachine, machineTable } from './machine-context.js';
import { decodeDmar } from '../dmar/decode.js';
import { naming } from '../dmar/errors.js';
import type { Source } from '../io/input.js';

function decodeLenient(source: Source) {
  return naming(source.name, () => decodeDmar(source.bytes, { strict: false }).table);
}

const VFIO_TEXT: Record<DeviceView['vfio'], string> = {
  free: 'vfio: ok',
  relaxable: 'vfio: ok (RMRR relaxable: USB/graphics)',
  'rmrr-locked': 'vfio: REFUSED (RMRR-locked)',
  'no-iommu': 'vfio: no IOMMU',
};

function deviceLine(d: DeviceView, p: Paint): string {
  const how = d.match === 'endpoint' ? 'named' : d.match === 'bridge' ? 'below a named bridge' : d.match === 'include-all' ? 'INCLUDE_PCI_ALL' : '';
  const vfio = d.vfio === 'rmrr-locked' ? p.error(VFIO_TEXT[d.vfio]) : d.vfio === 'relaxable' ? p.warn(VFIO_TEXT[d.vfio]) : VFIO_TEXT[d.vfio];
  const parts = [
    `${p.value(d.address)} [${d.vendor.slice(2)}:${d.device.slice(2)}] ${d.kind}`,
    d.driver ? p.dim(`driver ${printable(d.driver)}`) : '',
    p.dim(`${how}${d.viaPf ? ` (VF of ${d.physfn})` : ''}`),
    d.rmrrs.length ? p.warn(`pinned by ${d.rmrrs.join(', ')}`) : '',
    vfio + (d.groupLocked ? p.warn(' but its group has an RMRR-locked device') : ''),
    p.dim(`group ${d.group}${d.actualGroup !== undefined ? ` (Linux: ${printable(d.actualGroup)})` : ''}`),
  ];
  return parts.filter(Boolean).join('  ');
}

export function formatTopology(t: Topology, p: Paint): string {
  // names (paths) keep their letters, escaped as every command escapes a file name
  const out: string[] = [p.title(`${termText(t.table)}${t.machine ? ` on ${termText(t.machine)}` : ''}`)];
  const anySysfs = t.units.some((x) => x.sysfs);
  for (const u of t.units) {
    out.push(
      `${p.name(u.structure)} ${u.registerBaseAddress} segment ${u.segment}${u.includePciAll ? ' INCLUDE_PCI_ALL' : ''}${u.sysfs ? p.dim(` (${u.sysfs})`) : anySysfs ? p.warn(' (no unit on the machine)') : ''}`,
    );
    for (const s of u.scopes) {
      const what = s.enumerationId !== undefined ? `id ${s.enumerationId}` : s.device ? `-> ${s.device}` : s.missing ? p.warn(`-> ${s.missing}`) : '';
      out.push(`  scope ${s.type} ${s.path} ${what}`.trimEnd());
    }
    if (u.devices) {
      out.push(`  ${u.devices.length} device${u.devices.length === 1 ? '' : 's'}:`);
      for (const a of u.devices) out.push(`    ${deviceLine(t.devices!.find((d) => d.address === a)!, p)}`);
    }
  }
  for (const r of t.rmrrs) {
    out.push(`${p.name(r.structure)} ${r.base}-${r.end} segment ${r.segment}`);
    for (const s of r.scopes) out.push(`  scope ${s.type} ${s.path}${s.device ? ` -> ${s.device}` : s.missing ? ' ' + p.warn(`-> ${s.missing}`) : ''}`);
  }
  const orphans = t.devices?.filter((d) => !d.unit) ?? [];
  if (orphans.length) {
    out.push(p.warn(`not translated by any unit (${orphans.length}):`));
    for (const d of orphans) out.push(`  ${deviceLine(d, p)}`);
  }
  if (t.groups) {
    const shared = t.groups.filter((g) => g.length > 1);
    out.push(`IOMMU groups (prediction): ${t.groups.length}${shared.length ? `; shared: ${shared.map((g) => g.join(' + ')).join('; ')}` : ''}`);
  }
  for (const n of t.notes) out.push(p.dim(`note: ${n}`));
  return out.join('\n') + '\n';
}

export async function run(file: string | undefined, opts: { machine?: string; json?: boolean }): Promise<number> {
  const machine = opts.machine === undefined ? undefined : loadMachine(opts.machine);
  const own = file === undefined && machine?.root ? machineTable(join(machine.root, 'sys/firmware/acpi/tables/DMAR'), machine) : undefined;
  const { source, table } = own ? { source: own, table: decodeLenient(own) } : loadForReading(file);
  const t = topology(table, source.name, machine);
  if (opts.json) stdoutWrite(jsonDocument(t));
  else stdoutWrite(formatTopology(t, await (await import('./colour.js')).painter()));
  return 0;
}
