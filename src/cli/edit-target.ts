/**
 * What every editing command shares: where the result goes, refusing what
 * cannot be rewritten before anything is done, reporting each change on stderr.
 */
import { termText } from '../acpi/escape.js';
import { readSource, sysfsTablePath, type Source } from '../io/input.js';
import type { EditOptions, EditResult } from '../dmar/edit.js';
import { NOT_A_TABLE } from '../dmar/decode.js';
import { DmarError } from '../dmar/errors.js';
import { editFileInPlace } from '../io/write.js';
import { told, usageError, writeOutput } from './common.js';
import { io } from '../io/std.js';

export interface EditCliOptions {
  output?: string;
  force?: boolean;
}

function refuseInPlace(what: string): never {
  throw usageError(`${what} cannot be rewritten in place: give -o OUT`);
}

/** Refuse up front a source that has nowhere to be written back (before anything is read or locked). */
function checkInPlace(file: string | undefined): asserts file is string {
  if (file === undefined) refuseInPlace(`this machine's table (${sysfsTablePath()})`);
  if (file === '-') refuseInPlace('stdin');
}

/** Argument mistakes found by the library are usage errors, reported before any input is read. */
export function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DmarError && e.code === 'DMAR-EDIT-ARG') throw usageError(e.message);
    throw e;
  }
}

const say = (line: string) => io().stderr(`${termText(line)}\n`);

function applyEdit(source: Source, opts: EditCliOptions, edit: (bytes: Uint8Array, o: EditOptions) => EditResult): EditResult {
  try {
    return asUsage(() => edit(source.bytes, { force: opts.force }));
  } catch (e) {
    if (e instanceof DmarError && e.kind === 'input') {
      // a defect of the table names it; a usage error (the edit's arguments) names no file
      e.file = source.name;
      // --force gets past a defect of the structures, not past input that is no DMAR table (NOT_A_TABLE)
      if (!opts.force && e.code && !NOT_A_TABLE.has(e.code) && !e.code.startsWith('DMAR-VIRT') && !e.code.startsWith('DMAR-EDIT')) {
        e.message += ' (the table does not decode cleanly; --force edits its bytes anyway)';
      }
    }
    throw e;
  }
}

/**
 * Run one edit on `file` and write the result: to -o, or in place under a
 * lock, keeping owner, group and mode, refusing a write-protected or
 * hard-linked file unless --force (see io/write.ts).
 */
export async function runEdit(file: string | undefined, opts: EditCliOptions, edit: (bytes: Uint8Array, o: EditOptions) => EditResult): Promise<number> {
  let source: Source;
  let r: EditResult;
  if (opts.output) {
    source = told(readSource(file));
    r = applyEdit(source, opts, edit);
    writeOutput(opts.output, r.bytes);
  } else {
    checkInPlace(file);
    ({ source, r } = await editFileInPlace(file, file, { force: opts.force }, () => {
      const s = readSource(file);
      if (s.readOnly) refuseInPlace(s.kind === 'acpidump' ? `${s.name} (acpidump text)` : s.name);
      const res = applyEdit(s, opts, edit);
      return { bytes: res.changed ? res.bytes : undefined, result: { source: s, r: res } };
    }));
  }
  // Reported once written: a change is reported only once it is in the file.
  for (const line of r.changes) say(`${source.name}: ${line}`);
  for (const w of r.warnings) say(`dmar: warning: ${w}`);
  if (opts.output) say(`wrote ${opts.output === '-' ? 'stdout' : opts.output} (${r.bytes.length} bytes)`);
  else if (!r.changed) say(`${source.name}: file untouched`);
  return 0;
}
