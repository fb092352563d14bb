// The engine runs a check that declares the structure Types it reads (Check.reads) only on a table
// that frames a structure of one of them (src/dmar/validate/engine.ts). That is only right while each
// such check reports nothing on a table without them. Run them so, on every table at hand: the
// fixtures, the crafted defects, the fuzz regressions and the real corpus.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../../src/dmar/decode.js';
import { STRUCT_TYPE, VIRT_DESCRIPTOR_TYPE } from '../../../src/dmar/schema.js';
import { CHECKS } from '../../../src/dmar/validate/catalogue.js';
import { Context } from '../../../src/dmar/validate/check.js';
import { validateBytes } from '../../../src/dmar/validate/engine.js';
import { corpusFiles, FIXTURES, HAVE_CORPUS } from '../../helpers.js';

const binsIn = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => join(dir, f));
const tables = [...binsIn(FIXTURES), ...binsIn(join(FIXTURES, 'invalid')), ...binsIn(join(FIXTURES, 'fuzz')), ...(HAVE_CORPUS ? corpusFiles() : [])].flatMap(
  (path) => {
    const bytes = new Uint8Array(readFileSync(path));
    try {
      return [{ path, bytes, decoded: decodeDmar(bytes, { strict: false }) }];
    } catch {
      return []; // not a DMAR table at all: the engine rejects it before any check
    }
  },
);
const reading = CHECKS.filter((c) => c.reads && c.run);

describe('checks that read only some structure Types report nothing on a table without them', () => {
  test('there are such checks, and tables with and without each Type', () => {
    expect(reading.length).toBeGreaterThan(15);
    for (const type of [STRUCT_TYPE.RMRR, STRUCT_TYPE.ATSR, STRUCT_TYPE.RHSA, STRUCT_TYPE.ANDD, VIRT_DESCRIPTOR_TYPE]) {
      const having = tables.filter((t) => t.decoded.table.structures.some((s) => s.type === type));
      expect(having.length, `tables with Type ${type}`).toBeGreaterThan(0);
      expect(having.length, `tables without Type ${type}`).toBeLessThan(tables.length);
    }
  });

  test.each(reading.map((c) => [c.id, c] as const))('%s', (_id, check) => {
    let without = 0;
    for (const { path, bytes, decoded } of tables) {
      const ctx = new Context(bytes, decoded);
      const framed = decoded.table.structures.some((s) => check.reads!.includes(s.type));
      expect(
        check.reads!.some((t) => ctx.has(t)),
        path,
      ).toBe(framed);
      if (framed) continue;
      without++;
      const reports: unknown[] = [];
      check.run!(ctx, (r) => reports.push(r));
      expect(reports, path).toEqual([]);
    }
    expect(without).toBeGreaterThan(0);
  });
});

test('the engine still runs each of them on a table that has its Types: its crafted defect is reported', () => {
  let crafted = 0;
  for (const check of reading) {
    const path = join(FIXTURES, 'invalid', `${check.id}.bin`);
    if (!existsSync(path)) continue;
    crafted++;
    expect(
      validateBytes(new Uint8Array(readFileSync(path))).map((f) => f.id),
      check.id,
    ).toContain(check.id);
  }
  expect(crafted).toBeGreaterThan(15);
});
