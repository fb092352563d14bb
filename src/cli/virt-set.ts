import { checkSignature, featureMask, setVirtDescriptor, type VirtSpec } from '../dmar/edit.js';
import { UsageError } from './common.js';
import { asUsage, runEdit, type EditCliOptions } from './edit-target.js';

export interface VirtSetOptions extends EditCliOptions {
  virtualized?: boolean;
  bareMetal?: boolean;
  signature?: string;
  features?: string;
}

/** `--features ims,msi-compose`; `none` or an empty list for no feature. */
export function parseFeatures(list: string): string[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return names.length === 1 && names[0]!.toLowerCase() === 'none' ? [] : names;
}

export function run(file: string | undefined, opts: VirtSetOptions): number {
  if (opts.virtualized && opts.bareMetal) throw new UsageError('--virtualized and --bare-metal contradict each other');
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
  return runEdit(file, opts, (bytes, o) => setVirtDescriptor(bytes, spec, o));
}
