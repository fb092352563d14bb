// Every input the fuzzer ever broke a property with (fixtures/fuzz/*.bin, raw
// binaries, see fixtures/fuzz/README.md) passes every property now.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkInput } from '../../tools/fuzz/check.js';
import { FIXTURES } from '../helpers.js';

const DIR = join(FIXTURES, 'fuzz');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.bin'))
  .sort();

describe('fuzz regressions (fixtures/fuzz)', () => {
  test('the directory holds the inputs found so far', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files)('%s', (name) => {
    const failures = checkInput(new Uint8Array(readFileSync(join(DIR, name))));
    expect(failures.map((f) => `${f.property}: ${f.message}`)).toEqual([]);
  });
});
