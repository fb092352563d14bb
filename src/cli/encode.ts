import { readFileSync } from 'node:fs';
import { InputError } from '../acpi/input.js';
import { parseSourceText, sourceText } from '../dmar/source.js';
import { encodeDmar } from '../dmar/encode.js';
import { DmarError } from '../dmar/errors.js';
import { writeOutput } from './common.js';

export function run(file: string, opts: { output: string; keepChecksum?: boolean }): number {
  const name = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = sourceText(readFileSync(file === '-' ? 0 : file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message, name);
  }
  try {
    const table = parseSourceText(text);
    writeOutput(opts.output, encodeDmar(table, { keepChecksum: opts.keepChecksum }));
  } catch (e) {
    if (e instanceof DmarError) e.file = name;
    throw e;
  }
  return 0;
}
