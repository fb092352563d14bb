/**
 * The JSON shape of `dmar ims --json` (stable; documented in the README):
 * one object per policy,
 *   {policy, proposed, verdict, rules: [{id, text, verdict, uses, proposed?}],
 *    evidence: {<fact>: {value, source, proposed?, weak?, derived?}}, warnings, findings}
 * Fact values are true, false or "unknown"; the descriptor's is "absent" or an object.
 */
import { derivedFacts, FACT_NAMES, fact, type DescriptorFact, type Evidence, type Fact } from './evidence.js';
import type { Decision } from './decide.js';
import { ruleProposed } from './policy.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function descriptorJson(d: DescriptorFact): Json {
  return {
    offset: d.offset,
    virtualized: d.virtualized,
    hypervisorSignature: d.hypervisorSignature,
    features: { ...d.features },
    unknownFeatures: `0x${d.unknownFeatures.toString(16)}`,
  };
}

function factJson(f: Fact<unknown>): Json {
  const v = f.value;
  const o: { [k: string]: Json } = {
    value: typeof v === 'object' && v !== null ? descriptorJson(v as DescriptorFact) : (v as Json),
    source: f.source,
  };
  if (f.proposed) o.proposed = true;
  if (f.weak) o.weak = true;
  if (f.derived) o.derived = true;
  return o;
}

export function evidenceJson(ev: Evidence): Json {
  const o: { [k: string]: Json } = {};
  const derived = derivedFacts(ev);
  for (const n of FACT_NAMES) o[n] = factJson(n === 'virtEvidence' || n === 'bareMetalProven' ? derived[n] : fact(ev, n));
  return o;
}

export function decisionJson(d: Decision): Json {
  return {
    policy: d.policy.name,
    proposed: d.policy.proposed,
    verdict: d.verdict,
    rules: d.rules.map((r) => ({
      id: r.id,
      text: r.text,
      verdict: r.verdict,
      uses: [...r.uses],
      ...(ruleProposed(d.evidence, r) ? { proposed: true } : {}),
    })),
    ...(d.policy.ignores ? { ignores: [...d.policy.ignores] } : {}),
    evidence: evidenceJson(d.evidence),
    warnings: [...d.warnings],
    findings: d.findings.map((f) => ({ ...f })),
  };
}
