// Every real table: binary -> model -> JSON / iasl source -> binary gives the same bytes.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { formatIasl } from '../../src/dmar/codec/iasl.js';
import { tableHex } from '../../src/dmar/format/hex.js';
import { tableText } from '../../src/dmar/format/text.js';
import { PLAIN } from '../../src/dmar/format/paint.js';
import { fromJson, toJson } from '../../src/dmar/codec/json.js';
import { parseSourceText } from '../../src/dmar/source.js';
import { corpusFiles, HAVE_CORPUS } from '../helpers.js';

const files = corpusFiles();

describe.skipIf(!HAVE_CORPUS)('the shared corpus', () => {
  test('holds the 205 tables the tests are written for', () => {
    expect(files.length).toBe(205);
  });

  test.each(files.map((f) => [basename(f), f]))('%s: JSON and iasl source (both dialects) re-encode byte for byte', (_, f) => {
    const bytes = readFileSync(f);
    const { table, problems } = decodeDmar(bytes);
    expect(problems).toEqual([]);
    const viaJson = encodeDmar(fromJson(JSON.parse(JSON.stringify(toJson(table, bytes)))));
    expect(Buffer.from(viaJson).equals(bytes)).toBe(true);
    for (const dialect of ['current', '2020'] as const) {
      const src = formatIasl(table, { dialect, rawBytes: bytes }).text;
      expect(Buffer.from(encodeDmar(parseSourceText(src))).equals(bytes)).toBe(true);
    }
  });

  test('every structure type 0-6 and every device-scope type 1-5 is decoded by name somewhere', () => {
    const types = new Set<number>();
    const scopes = new Set<number>();
    for (const f of files) {
      for (const s of decodeDmar(readFileSync(f)).table.structures) {
        expect(s.raw).toBeUndefined();
        types.add(s.type);
        for (const sc of s.scopes ?? []) scopes.add(sc.fields.type as number);
      }
    }
    expect([...types].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...scopes].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  test('the text and hex writers name every field of every table without failing', () => {
    for (const f of files) {
      const bytes = readFileSync(f);
      const { table } = decodeDmar(bytes);
      const text = tableText(table, bytes, PLAIN);
      expect(text).toContain('Host Address Width');
      expect(text).toContain('valid');
      const hex = tableHex(table, bytes, PLAIN);
      // every byte of the table appears on some line of the dump
      const dumped = hex
        .split('\n')
        .map((l) => /^([0-9a-f]{4})  ((?:[0-9a-f]{2} ?)+)/.exec(l))
        .filter(Boolean)
        .reduce((n, m) => n + m![2]!.trim().split(' ').length, 0);
      expect(dumped).toBe(bytes.length);
    }
  });
});
