/**
 * `dmar report`: everything the page shows, gathered by the same library calls
 * the CLI's JSON commands make (validate, topology, ims, the layout and field
 * descriptions of decode); page.ts only lays it out.
 */
import type { CompanionTable } from '../dmar/validate/check.js';
import type { Finding } from '../dmar/validate/check.js';
import { decodeDmar, type DecodeResult } from '../dmar/decode.js';
import { naming } from '../dmar/errors.js';
import { validateBytes } from '../dmar/validate/engine.js';
import type { Source } from '../io/input.js';
import type { MachineFacts } from '../machine/facts.js';
import { topology, type Topology } from '../machine/topology.js';
import { decideAll, type Decision } from '../ims/decide.js';
import { gatherEvidence } from '../ims/evidence.js';
import { liveEvidence } from '../ims/live.js';
import { memoryPicture, type MemoryPicture } from './memory.js';

export { escapeHtml } from './html.js';
export { memoryPicture, formatMapText, type MemoryPicture, type Shape } from './memory.js';
export { renderReport } from './page.js';

export interface ReportData {
  source: Source;
  decoded: DecodeResult;
  findings: Finding[];
  /** Machine checks that could not run, and why. */
  notes: string[];
  machine?: MachineFacts;
  topology: Topology;
  decisions: Decision[];
  picture: MemoryPicture;
}

export interface ReportInput {
  source: Source;
  machine?: MachineFacts;
  /** Other tables of the machine (an acpidump's, a capture's MADT): the MADT cross-checks. */
  tables?: readonly CompanionTable[];
  /** Notes from the caller (machine checks that could not run). */
  notes?: string[];
}

/** Decode (leniently), validate, map the topology, run every IMS policy, draw the address space. */
export function reportData(input: ReportInput): ReportData {
  const { source, machine } = input;
  const decoded: DecodeResult = naming(source.name, () => decodeDmar(source.bytes, { strict: false }));
  const findings: Finding[] = naming(source.name, () => validateBytes(source.bytes, { tables: input.tables, machine }));
  const live = machine?.root ? liveEvidence(machine.root) : undefined;
  const gathered = gatherEvidence({ table: decoded.table, tableSource: source.name, live });
  return {
    source, decoded, findings, notes: input.notes ?? [], machine,
    topology: topology(decoded.table, source.name, machine),
    decisions: decideAll(gathered),
    picture: memoryPicture(decoded.table, machine),
  };
}
