import { fixTable } from '../dmar/edit.js';
import { runEdit, type EditCliOptions } from './edit-target.js';

/** fix is the remedy for a table that does not decode cleanly, so it never asks for --force for that (only to rewrite a protected file). */
export async function run(file: string | undefined, opts: EditCliOptions): Promise<number> {
  return runEdit(file, opts, (bytes) => fixTable(bytes));
}
