/**
 * dmar as a library: the same functions the CLI calls.
 *
 *   import { decodeDmar, encodeDmar, toJson, validateBytes, setDmarFlag } from 'dmar';
 */
export { DmarError } from './dmar/errors.js';
export * from './dmar/schema.js';
export type { DeviceScope, DmarTable, Fields, PathEntry, Structure } from './dmar/model.js';
export { decodeDmar, type DecodeOptions, type DecodeResult, type Problem } from './dmar/decode.js';
export { encodeDmar, type EncodeOptions } from './dmar/encode.js';
export { fromJson, toJson, JSON_FORMAT, type DmarJson, type DmarJsonScope, type DmarJsonStructure } from './dmar/codec/json.js';
export { jsonSchema } from './dmar/codec/json-schema.js';
export { encodeSource, parseSourceText } from './dmar/source.js';
export { formatIasl, parseIasl, type IaslDialect } from './dmar/codec/iasl.js';
export { tableText } from './dmar/format/text.js';
export { tableHex } from './dmar/format/hex.js';
export { PLAIN, type Paint } from './dmar/format/paint.js';
export { fixTable, removeVirtDescriptors, setDmarFlag, setVirtDescriptor, type EditResult } from './dmar/edit.js';
export { diffJson, diffTables, type TableDiff } from './dmar/table-diff.js';
export { catalogue, validateBytes, type Finding, type ValidateOptions } from './dmar/validate/index.js';
export { readSource, type Source } from './io/input.js';
export { parseAcpidump } from './acpi/acpidump.js';
export { checksumValid, computeChecksum } from './acpi/header.js';
export { writeFileAtomic } from './io/write.js';
export * as ims from './ims/index.js';
export { parseKernelLog, readKernelLog, logUnits, type KernelLog, type DmarLine, type DmarEvent } from './machine/kernel-log.js';
export { machineFacts, withBootLog, type MachineFacts } from './machine/facts.js';
export type { CompanionTable, Severity } from './dmar/validate/check.js';
export type { FieldDef, FieldValue } from './acpi/fields.js';
export { explainLog, tableView, type Explanation, type ExplainResult, type FaultGroup } from './machine/log-explain.js';
export {
  CAP_FIELDS,
  ECAP_FIELDS,
  decodeCap,
  decodeEcap,
  faultReason,
  unitCapabilities,
  type DecodedRegister,
  type UnitCapabilities,
} from './machine/vtd-regs.js';
