// fixtures/invalid/: one table per check, named after the check's ID. Each must make its
// check fire at the offset its source states, and no other check report an error.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DmarError } from '../../../src/dmar/errors.js';
import { CHECKS, checkById, validateBytes } from '../../../src/dmar/validate/index.js';
import { FIXTURES } from '../../helpers.js';
import { madtWithIoapics } from './tables.js';
import type { MachineSpec } from '../../../src/machine/spec.js';
import { machineFromSpec } from '../../machine/machines.js';

const INVALID = join(FIXTURES, 'invalid');
const sources = readdirSync(INVALID).filter((f) => f.endsWith('.json')).sort();

interface Source {
  $expect: { offset: number };
  $madtIoapics?: number[];
  /** The machine the check needs (src/machine/spec.ts), written to a temporary root and read back. */
  $machine?: MachineSpec;
}

function load(name: string) {
  const doc = JSON.parse(readFileSync(join(INVALID, name), 'utf8')) as Source;
  const bytes = readFileSync(join(INVALID, name.replace(/\.json$/, '.bin')));
  const tables = doc.$madtIoapics ? [{ signature: 'APIC', bytes: madtWithIoapics(doc.$madtIoapics) }] : undefined;
  return { doc, bytes, tables, machine: doc.$machine ? machineFromSpec(doc.$machine) : undefined };
}

describe('fixtures/invalid', () => {
  test('every check of the catalogue has its fixture, and every fixture names a check', () => {
    const names = sources.map((f) => f.replace(/\.json$/, ''));
    expect(names.filter((n) => !checkById(n))).toEqual([]);
    expect(CHECKS.map((c) => c.id).filter((id) => !names.includes(id))).toEqual([]);
  });

  test.each(sources.map((f) => [f.replace(/\.json$/, ''), f]))('%s fires at the stated offset, and nothing else is an error', (id, file) => {
    const { doc, bytes, tables, machine } = load(file);
    const check = checkById(id)!;
    if (check.fatal) {
      let err: unknown;
      try {
        validateBytes(bytes, { tables, machine });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DmarError);
      expect((err as DmarError).code).toBe(id);
      expect((err as DmarError).offset).toBe(doc.$expect.offset);
      return;
    }
    const findings = validateBytes(bytes, { tables, machine });
    const mine = findings.filter((f) => f.id === id);
    expect(mine.map((f) => f.offset)).toContain(doc.$expect.offset);
    for (const f of mine) expect(f.severity).toBe(check.severity);
    expect(findings.filter((f) => f.id !== id && f.severity === 'error')).toEqual([]);
  });

  test('--ignore of a fixture\'s own check leaves it without that finding', () => {
    const { bytes } = load('DMAR-RMRR-ALIGN.json');
    expect(validateBytes(bytes).some((f) => f.id === 'DMAR-RMRR-ALIGN')).toBe(true);
    expect(validateBytes(bytes, { ignore: new Set(['DMAR-RMRR-ALIGN']) }).some((f) => f.id === 'DMAR-RMRR-ALIGN')).toBe(false);
    expect(validateBytes(bytes, { only: new Set(['DMAR-HDR-CHECKSUM']) })).toEqual([]);
  });
});

describe('the project\'s valid fixtures (fixtures/*.bin)', () => {
  const valid = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith('.bin')).sort() : [];
  test.skipIf(valid.length === 0).each(valid.length ? valid : ['(none)'])('%s produces no error', (name) => {
    const findings = validateBytes(readFileSync(join(FIXTURES, name)));
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
