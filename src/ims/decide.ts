/** Running policies on gathered evidence. */
import type { Evidence, Gathered } from './evidence.js';
import { POLICIES, policyByName } from './policies/index.js';
import { linuxForKernel } from './policies/linux.js';
import type { Outcome, Policy } from './policy.js';

export interface Decision extends Outcome {
  policy: Policy;
  evidence: Evidence;
  /** The name the user asked for when it differs from the policy's (`linux`). */
  requested?: string;
  /** How the policy was chosen (which kernel `linux` stands for). */
  notes: string[];
}

/** A policy to run, and how it was chosen. */
export interface Selected {
  policy: Policy;
  requested?: string;
  note?: string;
}

export interface Kernel {
  version: string;
  source: string;
}

/** One name of `--policy`: a policy, `all`, or `linux` (resolved by kernel version). Undefined: an unknown name. */
export function selectPolicies(name: string, kernel: Kernel | undefined): Selected[] | undefined {
  if (name === 'all') return POLICIES.map((policy) => ({ policy }));
  if (name === 'linux') {
    const { policy, note } = linuxForKernel(kernel);
    return [{ policy, requested: 'linux', note }];
  }
  const p = policyByName(name);
  return p ? [{ policy: p }] : undefined;
}

/** One policy's decision; the warnings met while gathering the evidence come first. */
export function decide(policy: Policy | Selected, gathered: Gathered): Decision {
  const s: Selected = 'decide' in policy ? { policy } : policy;
  const out = s.policy.decide(gathered.evidence);
  return {
    ...out,
    warnings: [...gathered.warnings, ...out.warnings],
    policy: s.policy,
    evidence: gathered.evidence,
    ...(s.requested ? { requested: s.requested } : {}),
    notes: s.note ? [s.note] : [],
  };
}

export function decideAll(gathered: Gathered, policies: readonly (Policy | Selected)[] = POLICIES): Decision[] {
  return policies.map((p) => decide(p, gathered));
}
