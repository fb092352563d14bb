/** The IMS decision engine: evidence, policies, the matrix. */
export * from './evidence.js';
export { liveEvidence, kernelRelease } from './live.js';
export * from './signals.js';
export { smbiosVirtualMachine, matchHypervisorVendor, HYPERVISOR_VENDORS } from './dmi.js';
export * from './policy.js';
export { POLICIES, DEFAULT_POLICY, policyByName, POLICY_NAMES } from './policies/index.js';
export { linuxForKernel, linux62, linux610, linuxPre62 } from './policies/linux.js';
export { decide, decideAll, selectPolicies, type Decision, type Kernel, type Selected } from './decide.js';
export { decisionJson, evidenceJson, imsDocument, IMS_FORMAT } from './json.js';
export { decisionText } from './text.js';
export * from './scenarios.js';
export * from './matrix.js';
export { matrixJson, matrixText } from './matrix-format.js';
