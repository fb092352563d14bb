/**
 * `dmar report`: everything the page shows, gathered by the same library calls
 * the CLI's JSON commands make (validate, topology, ims, the layout and field
 * descriptions of decode); page.ts only lays it out.
 */
import type { Finding } from '../dmar/validate/check.js';
import { decodeDmar, type DecodeResult } from '../dmar/decode.js';
import { naming } from '../dmar/errors.js';
import { validateBytes } from '../dmar/validate/engine.js';
import { topology } from '../machine/topology.js';
import { decideAll } from '../ims/decide.js';
import { gatherEvidence } from '../ims/evidence.js';
import { liveEvidence } from '../ims/live.js';
import { memoryPicture } from './memory.js';
import type { ReportData, ReportInput } from './data.js';

export { memoryPicture, formatMapText, type MemoryPicture, type Shape } from './memory.js';
export { renderReport } from './page.js';
export type { ReportData, ReportInput } from './data.js';

/** Decode (leniently), validate, map the topology, run every IMS policy, draw the address space. */
export function reportData(input: ReportInput): ReportData {
  const { source, machine } = input;
  const decoded: DecodeResult = naming(source.name, () => decodeDmar(source.bytes, { strict: false }));
  const findings: Finding[] = naming(source.name, () => validateBytes(source.bytes, { tables: input.tables, machine }));
  const live = machine?.root ? liveEvidence(machine.root) : undefined;
  const gathered = gatherEvidence({ table: decoded.table, tableSource: source.name, live });
  return {
    source,
    decoded,
    findings,
    notes: input.notes ?? [],
    machine,
    topology: topology(decoded.table, source.name, machine),
    decisions: decideAll(gathered),
    picture: memoryPicture(decoded.table, machine),
  };
}
