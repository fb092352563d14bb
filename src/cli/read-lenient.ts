/**
 * The read-only editing views (flags, virt show) decode leniently: a framing
 * defect is reported on stderr, and what precedes it is still shown.
 */
import { termText } from '../acpi/escape.js';
import { decodeDmar } from '../dmar/decode.js';
import { DmarError } from '../dmar/errors.js';
import type { Loaded } from './common.js';
import { readSource } from '../acpi/input.js';

export function loadForReading(file: string | undefined): Loaded {
  const source = readSource(file);
  let r;
  try {
    r = decodeDmar(source.bytes, { strict: false });
  } catch (e) {
    if (e instanceof DmarError) e.file = source.name;
    throw e;
  }
  for (const p of r.problems.filter((x) => x.severity === 'error')) {
    process.stderr.write(`dmar: warning: ${termText(`${source.name}: offset 0x${p.offset.toString(16)}: ${p.message}`)}\n`);
  }
  return { source, ...r };
}
