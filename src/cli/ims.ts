/** `dmar ims [FILE]`: gather evidence, run the chosen policies, print verdicts with their reasons. */
import { existsSync } from 'node:fs';
import { termText } from '../acpi/escape.js';
import { sysfsTablePath } from '../acpi/input.js';
import { decideAll } from '../ims/decide.js';
import { gatherEvidence, type CommandLineEvidence, type Gathered } from '../ims/evidence.js';
import { decisionJson } from '../ims/json.js';
import { liveEvidence } from '../ims/live.js';
import { POLICIES, policyByName } from '../ims/policies/index.js';
import { decisionText } from '../ims/text.js';
import { painter } from './colour.js';
import { loadTable, stdoutWrite, UsageError } from './common.js';

export interface ImsOptions {
  policy: string;
  hypervisor?: boolean;
  bareMetal?: boolean;
  cachingMode?: 'on' | 'off';
  json?: boolean;
}

function commandLine(opts: ImsOptions): CommandLineEvidence {
  const cli: CommandLineEvidence = {};
  if (opts.hypervisor) cli.hypervisor = true;
  if (opts.bareMetal) cli.hypervisor = false;
  if (opts.cachingMode !== undefined) cli.cachingMode = opts.cachingMode === 'on';
  return cli;
}

/** Live evidence only with the running machine's own table: a file says nothing about this CPU or IOMMU. */
function gather(file: string | undefined, cli: CommandLineEvidence): { gathered: Gathered; input: string } {
  if (file !== undefined) {
    const t = loadTable(file);
    return { gathered: gatherEvidence({ table: t.table, tableSource: t.source.name, cli }), input: t.source.name };
  }
  const path = sysfsTablePath();
  const live = liveEvidence();
  if (!existsSync(path)) {
    return { gathered: gatherEvidence({ tableSource: `${path} does not exist`, live, cli }), input: `this machine (${path} does not exist)` };
  }
  const t = loadTable(undefined);
  return { gathered: gatherEvidence({ table: t.table, tableSource: t.source.name, live, cli }), input: `this machine (${t.source.name})` };
}

export async function run(file: string | undefined, opts: ImsOptions): Promise<number> {
  const policies = opts.policy === 'all' ? POLICIES : [policyByName(opts.policy)];
  if (policies.some((p) => p === undefined)) throw new UsageError(`unknown policy ${JSON.stringify(opts.policy)}`);
  const { gathered, input } = gather(file, commandLine(opts));
  const decisions = decideAll(gathered, policies as NonNullable<(typeof policies)[number]>[]);
  if (opts.json) {
    const docs = decisions.map(decisionJson);
    stdoutWrite(JSON.stringify(opts.policy === 'all' ? docs : docs[0], null, 2) + '\n');
    return 0;
  }
  const p = await painter();
  stdoutWrite(`${p.dim('evidence from')} ${termText(input)}\n\n` + decisions.map((d) => decisionText(d, p)).join('\n'));
  return 0;
}
