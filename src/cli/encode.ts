import { readInput } from '../acpi/input.js';
import { parseSourceText } from '../dmar/source.js';
import { encodeDmar } from '../dmar/encode.js';
import { DmarError } from '../dmar/errors.js';
import { writeOutput } from './common.js';

/**
 * `dmar decode` writes UTF-8, so a firmware string byte above 0x7f comes back
 * as two bytes: read UTF-8 when the text is valid UTF-8, else one byte per character.
 */
function sourceText(data: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return data.toString('latin1');
  }
}

export function run(file: string, opts: { output: string; keepChecksum?: boolean }): number {
  const name = file === '-' ? 'stdin' : file;
  const text = sourceText(readInput(file, name));
  try {
    const table = parseSourceText(text);
    writeOutput(opts.output, encodeDmar(table, { keepChecksum: opts.keepChecksum }));
  } catch (e) {
    if (e instanceof DmarError) e.file = name;
    throw e;
  }
  return 0;
}
