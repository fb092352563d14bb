/** The IMS decision engine: evidence, policies, the matrix. */
export * from './evidence.js';
export { liveEvidence } from './live.js';
export * from './policy.js';
export { POLICIES, DEFAULT_POLICY, policyByName } from './policies/index.js';
export { decide, decideAll, type Decision } from './decide.js';
export { decisionJson, evidenceJson } from './json.js';
export { decisionText } from './text.js';
export * from './scenarios.js';
export * from './matrix.js';
export { matrixJson, matrixText } from './matrix-format.js';
