import { readInputBytes } from '../io/input.js';
import { parseSourceText, sourceText } from '../dmar/source.js';
import { encodeDmar } from '../dmar/encode.js';
import { naming } from '../dmar/errors.js';
import { writeOutput } from './common.js';

export function run(file: string, opts: { output: string; keepChecksum?: boolean }): number {
  const name = file === '-' ? 'stdin' : file;
  const text = sourceText(readInputBytes(file, name));
  naming(name, () => writeOutput(opts.output, encodeDmar(parseSourceText(text), { keepChecksum: opts.keepChecksum })));
  return 0;
}
