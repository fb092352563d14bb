import { ACPI_HEADER_FIELDS } from '../acpi/header.js';
import { hex } from '../acpi/hex.js';
import { fieldByKey } from '../dmar/schema.js';
import { checkSignature, featureMask, setDmarFlag, setVirtDescriptor, type EditResult, type VirtSpec } from '../dmar/edit.js';
import { usageError } from './common.js';
import { asUsage, runEdit, type EditCliOptions } from './edit-target.js';
import { IMS_OPTOUT_NOTE, imsOptOutSet, OPT_OUT_READS_NATIVE } from './proposed-note.js';
import { io } from '../io/std.js';

export interface VirtSetOptions extends EditCliOptions {
  virtualized?: boolean;
  bareMetal?: boolean;
  signature?: string;
  features?: string;
  imsOptout?: boolean;
}

const CHECKSUM = fieldByKey(ACPI_HEADER_FIELDS, 'checksum');

/** Two edits as one: the second works on the first's bytes; one Checksum line from the input to the result. */
function chain(input: Uint8Array, a: EditResult, b: EditResult): EditResult {
  const notChecksum = (l: string) => !l.startsWith(`${CHECKSUM.name}: `);
  const c0 = input[CHECKSUM.offset]!;
  const c1 = b.bytes[CHECKSUM.offset]!;
  const changed = a.changed || b.changed;
  const changes = [...a.changes, ...b.changes].filter((l) => !changed || (notChecksum(l) && !l.endsWith('nothing to do')));
  if (c0 !== c1) changes.push(`${CHECKSUM.name}: ${hex(c0, 2)} -> ${hex(c1, 2)}`);
  return { bytes: b.bytes, changed, changes, warnings: [...new Set([...a.warnings, ...b.warnings])] };
}

/** `--features ims,msi-compose`; `none` or an empty list for no feature. */
export function parseFeatures(list: string): string[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return names.length === 1 && names[0]!.toLowerCase() === 'none' ? [] : names;
}

export async function run(file: string | undefined, opts: VirtSetOptions): Promise<number> {
  if (opts.virtualized && opts.bareMetal) throw usageError('--virtualized and --bare-metal contradict each other');
  const spec: VirtSpec = {};
  if (opts.virtualized) spec.virtualized = true;
  if (opts.bareMetal) spec.virtualized = false;
  if (opts.signature !== undefined) {
    spec.signature = opts.signature;
    asUsage(() => checkSignature(opts.signature!));
  }
  if (opts.features !== undefined) {
    spec.features = parseFeatures(opts.features);
    asUsage(() => featureMask(spec.features!));
  }
  let optOutZero = false;
  const code = await runEdit(file, opts, (bytes, o) => {
    const a = setVirtDescriptor(bytes, spec, o);
    const r = opts.imsOptout ? chain(bytes, a, setDmarFlag(a.bytes, 'ims-optout', true, o)) : a;
    optOutZero = spec.virtualized === true && !imsOptOutSet(r.bytes);
    return r;
  });
  if (optOutZero) io().stderr(`dmar: warning: ${OPT_OUT_READS_NATIVE}\n`);
  if (opts.imsOptout) io().stderr(`${IMS_OPTOUT_NOTE}\n`);
  return code;
}
