/**
 * The read-only editing views (flags, virt show) decode leniently: a framing
 * defect is reported on stderr, and what precedes it is still shown.
 */
import { termText } from '../acpi/escape.js';
import { decodeSource, readTableSource, type Loaded } from './common.js';
import { io } from '../io/std.js';
import { locatedLine } from '../dmar/errors.js';

/** Each framing defect of a leniently decoded table, one warning line on stderr. */
export function reportProblems({ source, problems }: Loaded): void {
  for (const p of problems.filter((x) => x.severity === 'error')) {
    io().stderr(`dmar: warning: ${termText(locatedLine({ file: source.name, offset: p.offset, message: p.message }, { decimal: false }))}\n`);
  }
}

export function loadForReading(file: string | undefined): Loaded {
  const loaded = decodeSource(readTableSource(file), { strict: false });
  reportProblems(loaded);
  return loaded;
}
