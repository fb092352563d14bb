import { checkTableSize, maxTable, readInputBytes } from '../io/input.js';
import { encodeSource, parseSourceText } from '../dmar/source.js';
import { inputText } from '../acpi/escape.js';
import { naming } from '../dmar/errors.js';
import { writeOutput } from './common.js';

export function run(file: string, opts: { output: string; keepChecksum?: boolean }): number {
  const name = file === '-' ? 'stdin' : file;
  // dmar decode writes UTF-8: a firmware byte above 0x7f comes back as two bytes, read as one character
  const text = inputText(readInputBytes(file, name));
  // the table limit (--max-input) holds for what encode writes too: a few KiB of iasl source can name GiB
  const bytes = naming(name, () => encodeSource(parseSourceText(text, { maxBytes: maxTable() }), { keepChecksum: opts.keepChecksum }));
  checkTableSize(bytes, name);
  writeOutput(opts.output, bytes);
  return 0;
}
