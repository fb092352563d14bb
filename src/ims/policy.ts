/**
 * A policy is a pure function from Evidence to a verdict and the rules that
 * fired. Adding one is one file in policies/ and one line in policies/index.ts.
 */
import { fact, type Evidence, type FactName } from './evidence.js';

/** native: the OS composes IMS messages; virtualized: through the hypervisor's paravirtual call; none: no IMS. */
export type Verdict = 'native' | 'virtualized' | 'none';
export const VERDICTS: readonly Verdict[] = ['native', 'virtualized', 'none'];

export interface FiredRule {
  /** `<policy>.<n>`, n as numbered in proposals.md section 3. */
  id: string;
  /** What the rule says, with the values that decided it. */
  text: string;
  /** The facts it read, in the order they matter. */
  uses: FactName[];
  /** The verdict it gives. */
  verdict: Verdict;
}

/**
 * A problem in the evidence that a policy met while deciding, reported beside
 * its verdict (IMS-VIRT-CONFLICT: the descriptor says bare metal, other facts
 * say virtualized). Not validate's Finding: it judges evidence, not table bytes.
 */
export interface EvidenceProblem {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** It rests on a proposal (the descriptor): "proposed": true in JSON, as validate labels its findings. */
  proposed?: true;
}

export interface Outcome {
  verdict: Verdict;
  rules: FiredRule[];
  warnings: string[];
  findings: EvidenceProblem[];
}

export interface Policy {
  readonly name: string;
  /** One line: what the policy stands for. */
  readonly summary: string;
  /** The policy rests on proposed table parts (proposals.md) rather than on any specification or shipped kernel. */
  readonly proposed: boolean;
  /** Facts the policy never reads, stated so users do not expect them to matter. */
  readonly ignores?: readonly FactName[];
  decide(ev: Evidence): Outcome;
}

/** Rule 1 of every policy: a machine or table set without DMAR (AMD, or VT-d off in the firmware). */
export const NO_DMAR = 'no DMAR: not an Intel VT-d platform (AMD IVRS is not modelled)';

/** The common case: one rule fires and gives the verdict. */
export function fired(id: string, text: string, uses: FactName[], verdict: Verdict, extra: Partial<Omit<Outcome, 'verdict'>> = {}): Outcome {
  return {
    verdict,
    rules: [{ id, text, uses, verdict }, ...(extra.rules ?? [])],
    warnings: extra.warnings ?? [],
    findings: extra.findings ?? [],
  };
}

/** True when the rule reads a fact that rests on a proposed part of the table. */
export function ruleProposed(ev: Evidence, r: FiredRule): boolean {
  return r.uses.some((n) => fact(ev, n).proposed === true);
}
