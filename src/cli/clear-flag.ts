import { dmarFlagBit, setDmarFlag } from '../dmar/edit.js';
import { asUsage, runEdit, type EditCliOptions } from './edit-target.js';

export function run(flag: string, file: string | undefined, opts: EditCliOptions): number {
  asUsage(() => dmarFlagBit(flag));
  return runEdit(file, opts, (bytes, o) => setDmarFlag(bytes, flag, false, o));
}
