// The project's own tables: each binary is what its JSON source encodes to, and survives every format.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { buildFixture } from '../../tools/fixtures/build.js';
import { formatIasl } from '../../src/dmar/codec/iasl.js';
import { fromJson, toJson } from '../../src/dmar/codec/json.js';
import { parseSourceText } from '../../src/dmar/source.js';
import { FIXTURES } from '../helpers.js';

const top = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort();

function allSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    // fixtures/machine holds captures (scripts/machine-fixtures.mjs), not table sources
    e.isDirectory() ? (e.name === 'machine' ? [] : allSources(join(dir, e.name))) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
  );
}

describe('fixtures', () => {
  test('at least six tables of our own at the top level', () => {
    expect(top.length).toBeGreaterThanOrEqual(6);
  });

  test.each(allSources(FIXTURES).map((f) => [f.slice(FIXTURES.length + 1), f]))('%s: the committed binary is what the source encodes to', (_, f) => {
    const bin = readFileSync(f.replace(/\.json$/, '.bin'));
    expect(Buffer.from(buildFixture(JSON.parse(readFileSync(f, 'utf8')))).equals(bin)).toBe(true);
  });

  test.each(top)('%s: decodes cleanly and re-encodes through JSON and iasl source', (name) => {
    const bin = readFileSync(join(FIXTURES, name.replace(/\.json$/, '.bin')));
    const { table, problems } = decodeDmar(bin);
    expect(problems).toEqual([]);
    expect(Buffer.from(encodeDmar(fromJson(toJson(table, bin)))).equals(bin)).toBe(true);
    for (const dialect of ['current', '2020'] as const) {
      expect(Buffer.from(encodeDmar(parseSourceText(formatIasl(table, { dialect }).text))).equals(bin)).toBe(true);
    }
  });

  test('the future-types fixture keeps ANDD padding, a reserved structure type and reserved garbage', () => {
    const { table } = decodeDmar(readFileSync(join(FIXTURES, 'future-types.bin')));
    const andd = table.structures.find((s) => s.type === 4)!;
    expect(andd.name).toBe('\\_SB.PCI0.I2C0');
    expect(andd.trailing).toEqual(new Uint8Array(5));
    const reserved = table.structures.find((s) => s.type === 7)!;
    expect(Buffer.from(reserved.raw!).toString('hex')).toBe('0102030405060708');
    expect(table.structures.find((s) => s.type === 1)!.fields.reserved).toBe(0x1234);
  });
});
