// In CI the real-table tests must run: a missing corpus fails them instead of skipping them silently.
import { describe, expect, test, vi } from 'vitest';
import { CORPUS, corpusPresent, HAVE_CORPUS } from './helpers.js';

describe('the shared corpus', () => {
  test('absent with CI=true: an error, not a skip', () => {
    expect(() => corpusPresent('/nonexistent/corpus/dmar', { CI: 'true' })).toThrow(/absent and CI=true/);
  });

  test('absent outside CI: skipped, with a note', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(corpusPresent('/nonexistent/corpus/dmar', {})).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/absent: the real-table tests are skipped/));
    warn.mockRestore();
  });

  test('present: used, CI or not', () => {
    expect(corpusPresent(__dirname, { CI: 'true' })).toBe(true);
    expect(HAVE_CORPUS).toBe(corpusPresent(CORPUS, {}));
  });
});
