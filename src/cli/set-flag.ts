import { dmarFlagBit, setDmarFlag } from '../dmar/edit.js';
import { asUsage, runEdit, type EditCliOptions } from './edit-target.js';
import { IMS_OPTOUT_NOTE, isImsOptOutBit } from './proposed-note.js';
import { io } from '../io/std.js';

export async function run(flag: string, file: string | undefined, opts: EditCliOptions): Promise<number> {
  const bit = asUsage(() => dmarFlagBit(flag));
  const code = await runEdit(file, opts, (bytes, o) => setDmarFlag(bytes, flag, true, o));
  if (isImsOptOutBit(bit)) io().stderr(`${IMS_OPTOUT_NOTE}\n`);
  return code;
}
