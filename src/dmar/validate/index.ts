/** `dmar validate` as a library: validateBytes() for one table, the catalogue, the reporters' input types. */
export { validateBytes, type ValidateOptions } from './engine.js';
export { CHECKS, catalogue, catalogueMarkdown, checkById, selectChecks } from './catalogue.js';
export { atLeast, type CheckInfo, type CompanionTable, type Finding, type Severity } from './check.js';
