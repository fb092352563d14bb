// What the CLI prints for a failure that is no DmarError: V8's limit on a string's length, met by an output
// built whole (explain --json of a log of 170,000 unit lines), is a limit, told in one line, not an
// "internal error".
import { expect, test } from 'vitest';
import { failureLine } from '../../src/cli/common.js';

test("V8's own error for a string over its longest is told as an output too large", () => {
  let e: unknown;
  try {
    'x'.repeat(2 ** 30 + 1); // over the longest string of any Node build: thrown before anything is allocated
  } catch (x) {
    e = x;
  }
  expect(e).toBeInstanceOf(RangeError);
  expect(failureLine(e)).toBe(
    'the output is too large to build in memory (over the longest string Node can hold): give less input at a time, or the text format',
  );
  expect(failureLine(new RangeError('Maximum call stack size exceeded'))).toBeUndefined();
});
