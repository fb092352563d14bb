// Whatever the bytes, the validator returns findings or rejects the input as no DMAR table
// (a DmarError): every single-byte mutation and every truncation of real tables.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { DmarError } from '../../../src/dmar/errors.js';
import { validateBytes } from '../../../src/dmar/validate/index.js';
import { corpusFiles, FIXTURES } from '../../helpers.js';

const tables = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => join(FIXTURES, f)),
  ...corpusFiles().filter((_, i) => i % 20 === 0),
];

test.each(tables.map((t) => [t.split('/').slice(-2).join('/'), t]))('%s: every byte mutated, every length cut: no crash', (_, file) => {
  const b = readFileSync(file);
  let rejected = 0;
  const attempt = (bytes: Uint8Array) => {
    try {
      const findings = validateBytes(bytes);
      for (const f of findings) expect(f.offset).toBeGreaterThanOrEqual(0);
    } catch (e) {
      expect(e).toBeInstanceOf(DmarError);
      rejected++;
    }
  };
  for (let i = 0; i < b.length; i++) {
    for (const v of [0x00, 0xff, (b[i]! + 1) & 0xff]) {
      const c = Uint8Array.from(b);
      c[i] = v;
      attempt(c);
    }
  }
  for (let k = 0; k < b.length; k++) attempt(b.subarray(0, k));
  // only header damage and short inputs are fatal: signature bytes x3 values, length bytes, cuts below 48
  expect(rejected).toBeGreaterThanOrEqual(48);
});
