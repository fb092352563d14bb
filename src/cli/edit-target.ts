/**
 * What every editing command shares: where the result goes, refusing what
 * cannot be rewritten before anything is done, reporting each change on stderr.
 */
import { realpathSync } from 'node:fs';
import { termText } from '../acpi/escape.js';
import { readSource, sysfsTablePath, type Source } from '../acpi/input.js';
import type { EditOptions, EditResult } from '../dmar/edit.js';
import { DmarError } from '../dmar/errors.js';
import { UsageError, writeOutput } from './common.js';

export interface EditCliOptions {
  output?: string;
  force?: boolean;
}

function refuseInPlace(what: string): never {
  throw new UsageError(`${what} cannot be rewritten in place: give -o OUT`);
}

/** Read the input, refusing up front a source that has nowhere to be written back. */
export function openForEdit(file: string | undefined, opts: EditCliOptions): { source: Source; target: string } {
  if (!opts.output) {
    if (file === undefined) refuseInPlace(`this machine's table (${sysfsTablePath()})`);
    if (file === '-') refuseInPlace('stdin');
  }
  const source = readSource(file);
  if (!opts.output && source.readOnly) {
    refuseInPlace(source.kind === 'acpidump' ? `${source.name} (acpidump text)` : source.name);
  }
  // In place through a symlink means the file it names, not a new file where the link was.
  const target = opts.output ?? realpathSync(file!);
  return { source, target };
}

/** Argument mistakes found by the library are usage errors, reported before any input is read. */
export function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DmarError && e.code === 'DMAR-EDIT-ARG') throw new UsageError(e.message);
    throw e;
  }
}

const say = (line: string) => process.stderr.write(`${termText(line)}\n`);

/** Run one edit on `file` and write the result (in place unless -o). */
export function runEdit(file: string | undefined, opts: EditCliOptions, edit: (bytes: Uint8Array, o: EditOptions) => EditResult): number {
  const { source, target } = openForEdit(file, opts);
  let r: EditResult;
  try {
    r = asUsage(() => edit(source.bytes, { force: opts.force }));
  } catch (e) {
    if (e instanceof DmarError) {
      e.file = source.name;
      if (!opts.force && !e.code.startsWith('DMAR-VIRT') && !e.code.startsWith('DMAR-EDIT')) {
        e.message += ' (the table does not decode cleanly; --force edits its bytes anyway)';
      }
    }
    throw e;
  }
  // Written first: a change is reported only once it is in the file.
  if (r.changed || opts.output) writeOutput(target, r.bytes);
  for (const line of r.changes) say(`${source.name}: ${line}`);
  for (const w of r.warnings) say(`dmar: warning: ${w}`);
  if (opts.output) say(`wrote ${opts.output} (${r.bytes.length} bytes)`);
  else if (!r.changed) say(`${source.name}: file untouched`);
  return 0;
}
