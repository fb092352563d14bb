/**
 * `dmar ims [FILE|DIR]`: gather evidence, run the chosen policies, print
 * verdicts with their reasons; a directory gives one row per table and
 * policy and a summary; `--expect POLICY=VERDICT` gates CI on a verdict.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { termText, jsonDocument } from '../acpi/escape.js';
import { isDirectory, liveRoot } from '../io/input.js';
import { decodeDmar } from '../dmar/decode.js';
import { type DmarError, locatedLine, naming } from '../dmar/errors.js';
import { decide, selectPolicies, type Decision, type Kernel, type Selected } from '../ims/decide.js';
import { gatherEvidence, type CommandLineEvidence, type Gathered, type LiveEvidence } from '../ims/evidence.js';
import { imsDocument, type ImsTable } from '../ims/json.js';
import { kernelRelease, liveEvidence } from '../ims/live.js';
import { POLICY_NAMES } from '../ims/policies/index.js';
import { VERDICTS, type Verdict } from '../ims/policy.js';
import { batchText, decisionText } from '../ims/text.js';
import { machineRoot } from '../machine/root.js';
import { painter } from './colour.js';
import { EXIT, failureLine, readTableSource, stdoutWrite, usageError } from './common.js';
import { directoryInputs, type Input } from './inputs.js';
import { io } from '../io/std.js';

export interface ImsOptions {
  policy: string;
  hypervisor?: boolean;
  bareMetal?: boolean;
  tdx?: 'on' | 'off';
  smbiosVm?: 'on' | 'off';
  dmiVendor?: string;
  cachingMode?: 'on' | 'off';
  kernel?: string;
  machine?: string;
  expect?: string[];
  json?: boolean;
}

function commandLine(opts: ImsOptions): CommandLineEvidence {
  const cli: CommandLineEvidence = {};
  if (opts.tdx !== undefined) cli.tdx = opts.tdx === 'on';
  if (opts.hypervisor) cli.hypervisor = true;
  if (opts.bareMetal) cli.hypervisor = false;
  if (opts.smbiosVm !== undefined) cli.smbiosVm = opts.smbiosVm === 'on';
  if (opts.dmiVendor !== undefined) cli.dmiVendor = opts.dmiVendor;
  if (opts.cachingMode !== undefined) cli.cachingMode = opts.cachingMode === 'on';
  return cli;
}

interface Expectation {
  text: string;
  selected: Selected;
  verdict: Verdict;
}

function parseExpect(list: readonly string[], kernel: Kernel | undefined): Expectation[] {
  return list.map((text) => {
    const i = text.indexOf('=');
    const name = i < 0 ? '' : text.slice(0, i);
    const verdict = text.slice(i + 1) as Verdict;
    if (i < 0 || !VERDICTS.includes(verdict))
      throw usageError(`--expect ${JSON.stringify(text)}: expected POLICY=VERDICT, VERDICT one of ${VERDICTS.join(', ')}`);
    const sel = name === 'all' ? undefined : selectPolicies(name, kernel);
    if (!sel) throw usageError(`--expect ${JSON.stringify(text)}: unknown policy ${JSON.stringify(name)} (known: ${POLICY_NAMES.join(', ')})`);
    return { text, selected: sel[0]!, verdict };
  });
}

/** The table of one input, strictly decoded; a defect names the input. */
function tableOf(input: Input) {
  const src = input.load();
  return { table: naming(src.name, () => decodeDmar(src.bytes, { strict: true }).table), name: src.name };
}

export async function run(file: string | undefined, opts: ImsOptions): Promise<number> {
  // A machine root: a capture (--machine DIR), the running machine (--machine live, or no FILE).
  const root = opts.machine !== undefined ? machineRoot(opts.machine) : file === undefined ? liveRoot() : undefined;
  const kernel: Kernel | undefined =
    opts.kernel !== undefined ? { version: opts.kernel, source: '--kernel' } : root !== undefined ? kernelRelease(root) : undefined;
  const selected = selectPolicies(opts.policy, kernel);
  if (!selected) throw usageError(`unknown policy ${JSON.stringify(opts.policy)} (known: ${POLICY_NAMES.join(', ')}, all)`);
  const expectations = parseExpect(opts.expect ?? [], kernel);
  const cli = commandLine(opts);
  const live: LiveEvidence | undefined = root !== undefined ? liveEvidence(root) : undefined;

  const batch = file !== undefined && file !== '-' && isDirectory(file);
  // a directory is walked one file at a time, as for validate; a FILE may be JSON or iasl source too
  const inputs: Iterable<Input> = batch
    ? directoryInputs(file)
    : file !== undefined
      ? [{ name: file, load: () => readTableSource(file) }]
      : [{ name: join(root!, 'sys/firmware/acpi/tables/DMAR'), load: () => readTableSource(join(root!, 'sys/firmware/acpi/tables/DMAR')) }];

  const tables: ImsTable[] = [];
  for (const input of inputs) {
    let gathered: Gathered;
    let name = input.name;
    if (file === undefined && !existsSync(input.name)) {
      gathered = gatherEvidence({ tableSource: `${input.name} does not exist`, live, cli });
      name = `${input.name} (does not exist)`;
    } else {
      try {
        const t = tableOf(input);
        name = t.name;
        gathered = gatherEvidence({ table: t.table, tableSource: t.name, live, cli });
      } catch (e) {
        const line = failureLine(e);
        if (line === undefined || !batch) throw e;
        // the row and the JSON name the input already: the failure without its file, as validate --json gives it
        tables.push({ input: input.name, error: locatedLine({ offset: (e as DmarError).offset, message: (e as DmarError).message }) });
        continue;
      }
    }
    const decisions: Decision[] = selected.map((s) => decide(s, gathered));
    const checks = expectations.map((x) => {
      const d = decide(x.selected, gathered);
      return { expect: x.text, policy: d.policy.name, expected: x.verdict, verdict: d.verdict, rule: d.rules[0]!.id, ok: d.verdict === x.verdict };
    });
    tables.push({ input: name, decisions, expect: checks });
  }

  const failed = tables.flatMap((t) => (t.expect ?? []).filter((c) => !c.ok).map((c) => ({ t, c })));
  const bad = tables.some((t) => t.error !== undefined);
  if (opts.json) {
    stdoutWrite(jsonDocument(imsDocument(kernel, tables, selected)));
  } else {
    const p = await painter();
    if (batch) stdoutWrite(batchText(tables, selected, p));
    else {
      const t = tables[0]!;
      const capture = opts.machine !== undefined && opts.machine !== 'live' ? termText(opts.machine) : undefined;
      const input = termText(t.input);
      const from =
        file === undefined
          ? capture
            ? `the capture ${capture} (${input})`
            : `this machine (${input})`
          : input + (capture ? ` ${p.dim('and the machine of the capture')} ${capture}` : opts.machine === 'live' ? ` ${p.dim('and this machine')}` : '');
      stdoutWrite(`${p.dim('evidence from')} ${from}\n\n` + t.decisions!.map((d) => decisionText(d, p)).join('\n'));
    }
  }
  for (const { t, c } of failed) {
    io().stderr(`dmar: expect ${termText(c.expect)}: ${termText(t.input)}: ${c.policy} says ${c.verdict} (rule ${c.rule})\n`);
  }
  for (const t of tables) if (t.error !== undefined) io().stderr(`dmar: ${termText(locatedLine({ file: t.input, message: t.error }))}\n`);
  return bad ? EXIT.BAD_INPUT : failed.length ? EXIT.FINDINGS : EXIT.OK;
}
