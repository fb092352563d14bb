/**
 * What the report page shows and what gathering it takes: the types index.ts
 * fills and page.ts lays out, in a module of their own so neither imports the other.
 */
import type { Source } from '../io/input.js';
import type { DecodeResult } from '../dmar/decode.js';
import type { CompanionTable, Finding } from '../dmar/validate/check.js';
import type { Decision } from '../ims/decide.js';
import type { MachineFacts } from '../machine/facts.js';
import type { Topology } from '../machine/topology.js';
import type { MemoryPicture } from './memory.js';

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
