// schema/dmar.schema.json is generated from the rows, and every document dmar writes conforms to it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../../src/dmar/decode.js';
import { toJson } from '../../../src/dmar/codec/json.js';
import { jsonSchema } from '../../../src/dmar/codec/json-schema.js';
import { corpusFiles, FIXTURES, ROOT } from '../../helpers.js';

const committed = JSON.parse(readFileSync(join(ROOT, 'schema/dmar.schema.json'), 'utf8'));

describe('JSON Schema', () => {
  test('the committed schema is what the rows generate (npm run schema)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(jsonSchema())));
  });

  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: true, strict: false });
  const validate = ajv.compile(committed);

  test('every decoded corpus table and fixture conforms; so do the hand-written fixture sources', () => {
    const bins = [
      ...corpusFiles(),
      ...readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.bin'))
        .map((f) => join(FIXTURES, f)),
    ];
    for (const f of bins) {
      const bytes = readFileSync(f);
      const ok = validate(JSON.parse(JSON.stringify(toJson(decodeDmar(bytes).table, bytes))));
      expect(ok, `${f}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    for (const f of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
      const ok = validate(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')));
      expect(ok, `${f}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  test('it rejects what the encoder rejects: an unknown bit, a too-long OEM ID, a missing type', () => {
    const bytes = readFileSync(join(FIXTURES, 'qemu-q35-ir.bin'));
    const good = JSON.parse(JSON.stringify(toJson(decodeDmar(bytes).table, bytes)));
    const bad1 = structuredClone(good);
    bad1.flags.BOGUS = true;
    const bad2 = structuredClone(good);
    bad2.header.oemId = 'TOO LONG';
    const bad3 = structuredClone(good);
    delete bad3.structures[0].type;
    delete bad3.structures[0].kind;
    for (const b of [bad1, bad2, bad3]) expect(validate(b)).toBe(false);
    expect(validate(good)).toBe(true);
  });
});
