/**
 * The JSON shape of `dmar ims --json` (stable; documented in docs/ims.md):
 * one document whatever --policy and however many tables,
 *   {format: "dmar-ims/1", kernel, tables: [{input, decisions, expect} | {input, error}], summary}
 * and in `decisions` one object per policy,
 *   {policy, proposed, verdict, rules: [{id, text, verdict, uses, proposed?}],
 *    evidence: {<fact>: {value, source, proposed?, weak?, derived?}}, warnings, findings}
 * Fact values are true, false or "unknown"; the descriptor's is "absent" or an object.
 */
import { hex } from '../acpi/hex.js';
import { derivedFacts, FACT_NAMES, fact, type DescriptorFact, type Evidence, type Fact } from './evidence.js';
import type { Decision, Kernel, Selected } from './decide.js';
import { ruleProposed, VERDICTS, type Verdict } from './policy.js';
import type { Json, JsonObject } from '../types/json.js';

function descriptorJson(d: DescriptorFact): Json {
  return {
    offset: d.offset,
    virtualized: d.virtualized,
    hypervisorSignature: d.hypervisorSignature,
    features: { ...d.features },
    unknownFeatures: hex(d.unknownFeatures),
  };
}

function factJson(f: Fact<unknown>): Json {
  const v = f.value;
  const o: JsonObject = {
    value: typeof v === 'object' && v !== null ? descriptorJson(v as DescriptorFact) : (v as Json),
    source: f.source,
  };
  if (f.proposed) o.proposed = true;
  if (f.weak) o.weak = true;
  if (f.strength) o.strength = f.strength;
  if (f.spoof) o.spoof = f.spoof;
  if (f.derived) o.derived = true;
  return o;
}

export function evidenceJson(ev: Evidence): Json {
  const o: JsonObject = {};
  const derived = derivedFacts(ev);
  for (const n of FACT_NAMES) o[n] = factJson(n === 'virtEvidence' || n === 'bareMetalProven' ? derived[n] : fact(ev, n));
  return o;
}

export function decisionJson(d: Decision): Json {
  return {
    policy: d.policy.name,
    requested: d.requested ?? d.policy.name,
    proposed: d.policy.proposed,
    verdict: d.verdict,
    rules: d.rules.map((r) => ({
      id: r.id,
      text: r.text,
      verdict: r.verdict,
      uses: [...r.uses],
      ...(ruleProposed(d.evidence, r) ? { proposed: true } : {}),
    })),
    ignores: [...(d.policy.ignores ?? [])],
    evidence: evidenceJson(d.evidence),
    warnings: [...d.warnings],
    findings: d.findings.map((f) => ({ ...f })),
    notes: [...d.notes],
  };
}

/** One `--expect POLICY=VERDICT` checked on one table. */
export interface ExpectCheck {
  expect: string;
  policy: string;
  expected: Verdict;
  verdict: Verdict;
  rule: string;
  ok: boolean;
}

/** One input of `dmar ims`: its decisions, or why it could not be read. */
export interface ImsTable {
  input: string;
  decisions?: Decision[];
  expect?: ExpectCheck[];
  error?: string;
}

export const IMS_FORMAT = 'dmar-ims/1';

/** Per policy (in the order asked), how many tables got each verdict. */
export function imsSummary(tables: readonly ImsTable[], selected: readonly Selected[]): Record<string, Record<Verdict, number>> {
  const out: Record<string, Record<Verdict, number>> = {};
  for (const s of selected) out[s.policy.name] = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const t of tables) for (const d of t.decisions ?? []) out[d.policy.name]![d.verdict]++;
  return out;
}

export function imsDocument(kernel: Kernel | undefined, tables: readonly ImsTable[], selected: readonly Selected[]): Json {
  return {
    format: IMS_FORMAT,
    kernel: kernel ? { version: kernel.version, source: kernel.source } : null,
    tables: tables.map(
      (t): Json =>
        t.error !== undefined
          ? { input: t.input, error: t.error }
          : { input: t.input, decisions: t.decisions!.map(decisionJson), expect: (t.expect ?? []).map((c) => ({ ...c })) },
    ),
    summary: imsSummary(tables, selected),
    errors: tables.filter((t) => t.error !== undefined).length,
  };
}
