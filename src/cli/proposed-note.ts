/** The one-line notes editing commands print about proposed table parts (proposals.md). */
import { bitByKey, readField } from '../acpi/fields.js';
import { DMAR_FIELDS, fieldByKey, IMS_OPTOUT_BIT } from '../dmar/schema.js';

const FLAGS = fieldByKey(DMAR_FIELDS, 'flags');
const IMS_OPTOUT = bitByKey(FLAGS, 'IMS_OPTOUT');

/** No VT-d revision to date defines bit 3 (proposals.md section 1). */
export const IMS_OPTOUT_NOTE =
  `note: ${IMS_OPTOUT.name} (DMAR Flags bit ${IMS_OPTOUT_BIT}) is a proposal no consumer reads: ` +
  'the bit is reserved in every VT-d revision to date (5.10, November 2025)';

/** After `--virtualized`: what opt-out consumers make of a table whose IMS_OPTOUT is 0. */
export const OPT_OUT_READS_NATIVE =
  `${IMS_OPTOUT.name} (proposed) is 0: opt-out consumers read that as "native IMS is fine", even in this VM; ` + '--ims-optout sets it in the same edit';

export function imsOptOutSet(bytes: Uint8Array): boolean {
  return ((Number(readField(bytes, 0, FLAGS)) >> IMS_OPTOUT.shift) & 1) === 1;
}

/** True when a set-flag/clear-flag name is the proposed bit (the name as the edit library resolves it). */
export function isImsOptOutBit(bit: { name: string }): boolean {
  return bit.name === IMS_OPTOUT.name;
}
