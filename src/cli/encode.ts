import { readInputBytes } from '../acpi/input.js';
import { parseSourceText, sourceText } from '../dmar/source.js';
import { encodeDmar } from '../dmar/encode.js';
import { DmarError } from '../dmar/errors.js';
import { writeOutput } from './common.js';

export function run(file: string, opts: { output: string; keepChecksum?: boolean }): number {
  const name = file === '-' ? 'stdin' : file;
  const text = sourceText(readInputBytes(file, name));
  try {
    const table = parseSourceText(text);
    writeOutput(opts.output, encodeDmar(table, { keepChecksum: opts.keepChecksum }));
  } catch (e) {
    if (e instanceof DmarError) e.file = name;
    throw e;
  }
  return 0;
}
