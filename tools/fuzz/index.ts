/** The mutation fuzzer as a library: `npm run fuzz` and the tests both drive it. */
export { checkInput, firstDifference, type CheckOptions, type Failure } from './check.js';
export { crashKind, crashName, loadSeeds, runCampaign, runInput, type CampaignOptions, type CampaignResult, type Crash, type Seed } from './campaign.js';
export { frame, type Frame, type Span } from './frame.js';
export { mutate, MUTATOR_NAMES, MUTATORS, type Mutation } from './mutate.js';
export { Prng, runSeed } from './prng.js';
