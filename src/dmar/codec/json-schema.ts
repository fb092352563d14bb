/**
 * The JSON Schema of the `dmar/1` document, generated from the schema rows
 * (schema/dmar.schema.json is this function's output; a test keeps it so).
 */
import type { FieldDef } from '../../acpi/fields.js';
import { ACPI_HEADER_FIELDS } from '../../acpi/header.js';
import { JSON_FORMAT } from './json.js';
import { DMAR_FIELDS, PATH_FIELDS, SCOPE_FIELDS, STRUCTS, type StructDef } from '../schema.js';

type S = Record<string, unknown>;

const HEX_BYTES = { type: 'string', pattern: '^([0-9a-fA-F]{2})*$', description: 'bytes as hex' };
const U64 = { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$', description: '64-bit integer as a "0x..." string' };

function intSchema(size: number): S {
  if (size > 4) return { anyOf: [U64, { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }] };
  return { type: 'integer', minimum: 0, maximum: 2 ** (8 * size) - 1 };
}

function fieldSchema(f: FieldDef, plainBits = false): S {
  const doc = [f.name, f.doc, f.proposed ? '(proposed)' : undefined].filter(Boolean).join(': ');
  if (f.kind === 'ascii') return { type: 'string', maxLength: f.size, description: `${doc} (one character per byte, trailing NULs dropped)` };
  if (f.kind === 'bytes') return { ...HEX_BYTES, description: `${doc} (${f.size} bytes as hex)` };
  if (!f.bits || plainBits) return { ...intSchema(f.size), description: doc };
  const props: S = {};
  const proposed: S = {};
  for (const b of f.bits) {
    const key = b.key ?? b.name;
    const s =
      (b.width ?? 1) === 1
        ? { type: 'boolean', description: `bit ${b.shift}${b.doc ? ': ' + b.doc : ''}` }
        : { type: 'integer', minimum: 0, maximum: 2 ** b.width! - 1, description: `bits ${b.shift + b.width! - 1}:${b.shift}${b.doc ? ': ' + b.doc : ''}` };
    if (b.proposed) proposed[key] = { ...s, description: `${s.description} (proposed, not in the VT-d specification)` };
    else props[key] = s;
  }
  props.reserved = { ...intSchema(f.size), description: 'the bits no name covers' };
  if (Object.keys(proposed).length) props.proposed = { type: 'object', properties: proposed, additionalProperties: false };
  return {
    description: `${doc}: named bits, or the whole value as an integer`,
    anyOf: [{ type: 'object', properties: props, additionalProperties: false }, intSchema(f.size)],
  };
}

function rowsSchema(rows: readonly FieldDef[], plainBits = false): S {
  const props: S = {};
  for (const f of rows) {
    if (f.role === 'type' || f.role === 'length') continue;
    props[f.key] = fieldSchema(f, plainBits);
  }
  return props;
}

const INFO = {
  offset: { type: 'integer', description: 'byte offset in the table (informational)' },
  length: { type: 'integer', description: 'Length as read (informational: the encoder computes it)' },
  kind: { type: 'string', description: 'short name (informational; names the type when "type" is absent)' },
  title: { type: 'string', description: "ACPICA's name of the type (informational)" },
};

function scopeSchema(plainBits: boolean): S {
  return {
    type: 'object',
    required: ['type'],
    properties: {
      offset: INFO.offset,
      type: { type: 'integer', minimum: 0, maximum: 255, description: 'Device Scope Type' },
      kind: INFO.kind,
      length: INFO.length,
      ...rowsSchema(SCOPE_FIELDS, plainBits),
      path: {
        type: 'array',
        description: 'PCI Path: (Device, Function) pairs from the start bus',
        items: { type: 'object', properties: rowsSchema(PATH_FIELDS), additionalProperties: false },
      },
    },
    additionalProperties: false,
  };
}

function structSchema(def: StructDef): S {
  const props: S = {
    offset: INFO.offset,
    type: { const: def.type },
    kind: { const: def.abbrev, description: 'short name (names the type when "type" is absent)' },
    title: INFO.title,
    length: INFO.length,
    ...rowsSchema(def.fields),
    trailing: { ...HEX_BYTES, description: 'bytes inside Length after the decoded content (padding, garbage)' },
  };
  if (def.proposed) props.proposed = { const: true, description: 'not part of the VT-d specification (proposals.md)' };
  if (def.body.kind === 'scopes') props.deviceScopes = { type: 'array', items: scopeSchema(!def.scopeFlagsNamed) };
  if (def.body.kind === 'name') {
    props.deviceName = { type: 'string', description: def.body.title };
    props.nameTerminated = { const: false, description: 'present when the name has no NUL within Length' };
  }
  return {
    title: `${def.abbrev}: ${def.title}`,
    type: 'object',
    properties: props,
    required: def.body.kind === 'name' ? ['deviceName'] : [],
    anyOf: [{ required: ['type'] }, { required: ['kind'] }],
    additionalProperties: false,
  };
}

export function jsonSchema(): S {
  const raw = {
    title: 'structure kept as raw bytes (a type with no known layout, or one too short for its layout)',
    type: 'object',
    required: ['type', 'raw'],
    properties: {
      ...INFO,
      type: { type: 'integer', minimum: 0, maximum: 65535 },
      // a proposed type too short for its layout is still labelled proposed
      proposed: { const: true, description: 'not part of the VT-d specification (proposals.md)' },
      raw: { ...HEX_BYTES, description: 'the bytes after the 4-byte header' },
    },
    additionalProperties: false,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://dmar.invalid/schema/dmar.schema.json',
    title: 'dmar/1: an ACPI DMAR table',
    description:
      'Written by `dmar decode --format json`, read by `dmar encode`. Informational members (offset, kind, title, length, checksumValid) are ignored on input; absent fields are zero.',
    type: 'object',
    // as `dmar encode` reads it: an absent header or structure list is one of zeros, or empty
    properties: {
      format: { const: JSON_FORMAT },
      header: { type: 'object', properties: { ...rowsSchema(ACPI_HEADER_FIELDS), length: INFO.length }, additionalProperties: false },
      file: { type: 'string', description: "the table's source, in a line of `dmar decode --json` over several tables (informational)" },
      checksumValid: { type: 'boolean', description: 'whether the input table summed to 0 (informational)' },
      ...rowsSchema(DMAR_FIELDS),
      structures: {
        type: 'array',
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else keywords
        items: { if: { required: ['raw'] }, then: raw, else: { anyOf: STRUCTS.map(structSchema) } },
      },
      trailing: { ...HEX_BYTES, description: 'bytes inside Table Length after the last structure' },
      problems: {
        type: 'array',
        description: 'where a broken table stops decoding (`dmar decode --lenient`; informational)',
        items: {
          type: 'object',
          required: ['code', 'offset', 'message'],
          properties: { code: { type: 'string' }, offset: { type: 'integer', minimum: 0 }, message: { type: 'string' } },
          additionalProperties: false,
        },
      },
    },
    patternProperties: { '^\\$': {} },
    additionalProperties: false,
  };
}
