import { removeVirtDescriptors } from '../dmar/edit.js';
import { runEdit, type EditCliOptions } from './edit-target.js';

export async function run(file: string | undefined, opts: EditCliOptions): Promise<number> {
  return runEdit(file, opts, (bytes, o) => removeVirtDescriptors(bytes, o));
}
