/** Running policies on gathered evidence. */
import type { Evidence, Gathered } from './evidence.js';
import { POLICIES } from './policies/index.js';
import type { Outcome, Policy } from './policy.js';

export interface Decision extends Outcome {
  policy: Policy;
  evidence: Evidence;
}

/** One policy's decision; the warnings met while gathering the evidence come first. */
export function decide(policy: Policy, gathered: Gathered): Decision {
  const out = policy.decide(gathered.evidence);
  return { ...out, warnings: [...gathered.warnings, ...out.warnings], policy, evidence: gathered.evidence };
}

export function decideAll(gathered: Gathered, policies: readonly Policy[] = POLICIES): Decision[] {
  return policies.map((p) => decide(p, gathered));
}
