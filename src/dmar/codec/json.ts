/**
 * The JSON document (`dmar decode --format json`, `dmar encode`), built from
 * the schema rows. Its JSON Schema is schema/dmar.schema.json (codec/json-schema.ts).
 *
 * - integers up to 32 bits are numbers, 64-bit integers "0x..." strings;
 * - a field with named bits is an object of those bits plus `reserved` (the
 *   bits no name covers) and, for proposed bits, a `proposed` object;
 * - ASCII fields are strings (one character per byte, trailing NULs dropped);
 *   opaque bytes and raw data are hex strings;
 * - `offset`, `kind`, `title`, `length` and `checksumValid` are informational:
 *   the encoder recomputes lengths and (by default) the checksum.
 */
import { bitValue, namedMask, type BitDef, type FieldDef, type FieldValue } from '../../acpi/fields.js';
import { ACPI_HEADER_FIELDS, checksumValid } from '../../acpi/header.js';
import { bytesHex, hex } from '../../acpi/hex.js';
import type { Json, JsonObject } from '../../types/json.js';
import { DmarError, describeValue, excerpt } from '../errors.js';
import type { DeviceScope, DmarTable, Fields, PathEntry, Structure } from '../model.js';
import { DMAR_FIELDS, PATH_FIELDS, SCOPE_FIELDS, scopeTypeName, STRUCTS, structDef, structDefByAbbrev, structTitle } from '../schema.js';

export const JSON_FORMAT = 'dmar/1';

/**
 * The `dmar/1` document (docs/json.md) as toJson writes it: the document's own keys typed here, each
 * field of the table under the key its schema row gives (`oemId`, `flags`, `registerBaseAddress`, ...),
 * as a number, a string or an object of named bits. The rows are the one description of the fields.
 */
export interface DmarJson extends JsonObject {
  format: typeof JSON_FORMAT;
  /** The ACPI header's fields. */
  header: JsonObject;
  /** With the table's bytes given: whether its bytes sum to zero. */
  checksumValid?: boolean;
  structures: DmarJsonStructure[];
  /** Bytes past the last structure, as hex. */
  trailing?: string;
}

/** One structure of the document: its informational keys, then its fields (or `raw`, for an unknown Type). */
export interface DmarJsonStructure extends JsonObject {
  offset: number;
  type: number;
  /** DRHD, RMRR, ...; UNKNOWN for a Type no specification defines. */
  kind: string;
  title: string;
  length: number;
  /** A structure of the proposals, not of the VT-d specification. */
  proposed?: true;
  /** An unknown Type's bytes after its 4-byte header, as hex. */
  raw?: string;
  deviceScopes?: DmarJsonScope[];
  /** ANDD's ACPI object name. */
  deviceName?: string;
  /** ANDD's name has no terminating NUL. */
  nameTerminated?: false;
  /** Bytes after the structure's content (ANDD padding, garbage), as hex. */
  trailing?: string;
}

/** One device scope: its informational keys, its fields, and its path of (device, function) entries. */
export interface DmarJsonScope extends JsonObject {
  offset: number;
  type: number;
  kind: string;
  length: number;
  path: JsonObject[];
}

const bitKey = (b: BitDef) => b.key ?? b.name;

function intJson(f: FieldDef, v: bigint): number | string {
  return f.size > 4 ? hex(v) : Number(v);
}

/** A row's value as the document writes it when its bits are not split out. */
export function plainJson(f: FieldDef, v: FieldValue | undefined): number | string {
  if (f.kind === 'ascii') return typeof v === 'string' ? v : '';
  if (f.kind === 'bytes') return v instanceof Uint8Array ? bytesHex(v) : '';
  return intJson(f, BigInt(v as number | bigint));
}

function fieldJson(f: FieldDef, v: FieldValue | undefined, plain = false): Json {
  if (f.kind !== 'uint' || !f.bits || plain) return plainJson(f, v);
  const n = BigInt(v as number | bigint);
  const o: JsonObject = {};
  const proposed: JsonObject = {};
  for (const b of f.bits) {
    const bv = bitValue(n, b);
    const j: Json = (b.width ?? 1) === 1 ? bv === 1 : bv;
    if (b.proposed) proposed[bitKey(b)] = j;
    else o[bitKey(b)] = j;
  }
  if (Object.keys(proposed).length) o.proposed = proposed;
  o.reserved = intJson(f, n & ~namedMask(f));
  return o;
}

function fieldsJson(rows: readonly FieldDef[], values: Fields, skipRoles = true, plainBits = false): JsonObject {
  const o: JsonObject = {};
  for (const f of rows) {
    if (skipRoles && (f.role === 'type' || f.role === 'length')) continue;
    o[f.key] = fieldJson(f, values[f.key], plainBits);
  }
  return o;
}

/** Device scope Flags name their bits only inside the structures that define them (SIDP); elsewhere a number. */
function scopeJson(sc: DeviceScope, namedFlags: boolean): DmarJsonScope {
  const type = sc.fields.type as number;
  return {
    offset: sc.offset,
    type,
    kind: scopeTypeName(type),
    length: sc.fields.length as number,
    ...fieldsJson(SCOPE_FIELDS, sc.fields, true, !namedFlags),
    path: sc.path.map((e) => fieldsJson(PATH_FIELDS, e as unknown as Fields)),
  };
}

function structureJson(s: Structure): DmarJsonStructure {
  const def = structDef(s.type);
  const o: DmarJsonStructure = {
    offset: s.offset,
    type: s.type,
    kind: def?.abbrev ?? 'UNKNOWN',
    title: structTitle(s.type),
    length: s.length,
  };
  if (def?.proposed) o.proposed = true;
  if (s.raw) {
    o.raw = bytesHex(s.raw);
    return o;
  }
  Object.assign(o, fieldsJson(def!.fields, s.fields));
  if (s.scopes) o.deviceScopes = s.scopes.map((sc) => scopeJson(sc, def!.scopeFlagsNamed === true));
  if (s.name !== undefined) o.deviceName = s.name;
  if (s.unterminated) o.nameTerminated = false;
  if (s.trailing?.length) o.trailing = bytesHex(s.trailing);
  return o;
}

/** The JSON document of a decoded table. `bytes`, when given, adds `checksumValid`. */
export function toJson(t: DmarTable, bytes?: Uint8Array): DmarJson {
  const o: DmarJson = {
    format: JSON_FORMAT,
    header: fieldsJson(ACPI_HEADER_FIELDS, t.header, false),
    ...(bytes ? { checksumValid: checksumValid(bytes) } : {}),
    ...fieldsJson(DMAR_FIELDS, t.fields),
    structures: t.structures.map(structureJson),
  };
  if (t.trailing?.length) o.trailing = bytesHex(t.trailing);
  return o;
}

// ---- reading the document back ------------------------------------------

function fail(where: string, msg: string): never {
  throw new DmarError(`${where}: ${msg}`, { code: 'DMAR-JSON' });
}

/**
 * Refuse a key the format does not have (a misspelt field would otherwise be zero):
 * the fields of `rows` and the keys in `extra`, as toJson writes them and the schema allows.
 */
function onlyKeys(o: JsonObject, rows: readonly FieldDef[], extra: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (extra.includes(k) || rows.some((f) => f.key === k)) continue;
    // the document's own annotations ("$comment", "$schema"), as the schema allows them at the top
    if (where === '' && k.startsWith('$')) continue;
    const known = [...rows.map((f) => f.key), ...extra].join(', ');
    fail(where || 'document', `unknown key ${excerpt(k)} (known: ${known})`);
  }
}

/** The longest integer text any field can hold (a 64-bit value in decimal, or in hex with leading zeros). */
const INTEGER_TEXT_LIMIT = 40;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An integer from a number, "0x..." or decimal string. */
export function parseInteger(v: unknown, where: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && v.length > INTEGER_TEXT_LIMIT && /^\s*(0x[0-9a-f]+|[0-9]+)\s*$/i.test(v))
    return fail(where, `${describeValue(v)} is longer than any field's value`);
  if (typeof v === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v.trim())) return BigInt(v.trim());
  return fail(where, `${describeValue(v)} is not a non-negative integer`);
}

export function parseHex(v: unknown, where: string): Uint8Array {
  if (typeof v !== 'string') return fail(where, 'expected a hex string');
  const s = v.replace(/\s+/g, '');
  if (s.length % 2 || !/^[0-9a-f]*$/i.test(s)) return fail(where, `${describeValue(v)} is not hex bytes`);
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

function fieldFromJson(f: FieldDef, v: unknown, where: string): FieldValue {
  const w = where ? `${where}.${f.key}` : f.key;
  // an absent field is zero (or empty): hand-written sources name only what matters
  if (v === undefined) return f.kind === 'ascii' ? '' : f.kind === 'bytes' ? new Uint8Array(f.size) : f.size > 4 ? 0n : 0;
  if (f.kind === 'ascii') {
    if (typeof v !== 'string') return fail(w, 'expected a string');
    return v;
  }
  if (f.kind === 'bytes') {
    const b = parseHex(v, w);
    if (b.length !== f.size) fail(w, `${b.length} bytes, expected ${f.size}`);
    return b;
  }
  let n: bigint;
  if (isObject(v) && f.bits) {
    n = v.reserved === undefined ? 0n : parseInteger(v.reserved, `${w}.reserved`);
    if (n & namedMask(f)) fail(`${w}.reserved`, 'sets bits that have names; set them by name');
    if (v.proposed !== undefined && !isObject(v.proposed)) fail(`${w}.proposed`, 'expected an object of proposed bits');
    const proposed = isObject(v.proposed) ? v.proposed : {};
    const known = new Set(['reserved', 'proposed', ...f.bits.map(bitKey)]);
    for (const k of Object.keys(v)) if (!known.has(k)) fail(w, `unknown bit ${excerpt(k)} (known: ${f.bits.map(bitKey).join(', ')})`);
    // a misspelt proposed bit would be written as 0 without a word
    const proposedKeys = f.bits.filter((b) => b.proposed).map(bitKey);
    for (const k of Object.keys(proposed))
      if (!proposedKeys.includes(k))
        fail(`${w}.proposed`, `unknown bit ${excerpt(k)} (known: ${proposedKeys.join(', ') || 'none: this field has no proposed bits'})`);
    for (const b of f.bits) {
      const raw = b.proposed ? (proposed[bitKey(b)] ?? v[bitKey(b)]) : v[bitKey(b)];
      if (raw === undefined) continue;
      const width = b.width ?? 1;
      const bv = typeof raw === 'boolean' ? BigInt(raw) : parseInteger(raw, `${w}.${bitKey(b)}`);
      if (bv >= 1n << BigInt(width)) fail(`${w}.${bitKey(b)}`, `${describeValue(raw)} does not fit in ${width} bit${width > 1 ? 's' : ''}`);
      n |= bv << BigInt(b.shift);
    }
  } else {
    n = v === undefined ? 0n : parseInteger(v, w);
  }
  if (n >= 1n << BigInt(8 * f.size)) fail(w, `${describeValue(v)} does not fit in ${f.size} byte${f.size > 1 ? 's' : ''}`);
  return f.size > 4 ? n : Number(n);
}

function fieldsFromJson(rows: readonly FieldDef[], o: JsonObject, where: string): Fields {
  const out: Fields = {};
  for (const f of rows) {
    if (f.role === 'length') continue;
    if (o[f.key] !== undefined || f.role !== 'type') out[f.key] = fieldFromJson(f, o[f.key], where);
  }
  return out;
}

function scopeFromJson(o: unknown, where: string): DeviceScope {
  if (!isObject(o)) return fail(where, 'expected an object');
  if (o.type === undefined) fail(where, 'type is missing');
  onlyKeys(o, SCOPE_FIELDS, ['offset', 'kind', 'path'], where);
  // kind is informational, but one that names another type than `type` is a contradiction, not a note
  if (typeof o.kind === 'string') {
    const named = scopeTypeName(Number(parseInteger(o.type, `${where}.type`)));
    if (o.kind !== named) fail(`${where}.kind`, `${describeValue(o.kind)} contradicts type ${describeValue(o.type)} (${named})`);
  }
  const path = o.path ?? [];
  if (!Array.isArray(path)) return fail(`${where}.path`, 'expected an array');
  return {
    offset: 0,
    fields: fieldsFromJson(SCOPE_FIELDS, o, where),
    path: path.map((e, i) => {
      if (!isObject(e)) return fail(`${where}.path[${i}]`, 'expected {device, function}');
      onlyKeys(e, PATH_FIELDS, [], `${where}.path[${i}]`);
      return fieldsFromJson(PATH_FIELDS, e, `${where}.path[${i}]`) as unknown as PathEntry;
    }),
  };
}

function structureFromJson(o: unknown, where: string): Structure {
  if (!isObject(o)) return fail(where, 'expected an object');
  let type: number;
  if (o.type !== undefined) type = Number(parseInteger(o.type, `${where}.type`));
  else if (typeof o.kind === 'string' && structDefByAbbrev(o.kind)) type = structDefByAbbrev(o.kind)!.type;
  else if (typeof o.kind === 'string')
    return fail(`${where}.kind`, `${describeValue(o.kind)} is no structure kind (known: ${STRUCTS.map((d) => d.abbrev).join(', ')}; or give "type")`);
  else return fail(where, 'type is missing');
  if (type > 0xffff) fail(`${where}.type`, `${describeValue(o.type)} does not fit in 2 bytes`);
  const s: Structure = { offset: 0, type, length: 0, fields: {} };
  const def = structDef(type);
  if (o.type !== undefined && typeof o.kind === 'string' && o.kind !== (def?.abbrev ?? 'UNKNOWN'))
    fail(`${where}.kind`, `${describeValue(o.kind)} contradicts type ${type} (${def?.abbrev ?? 'UNKNOWN'})`);
  const header = ['offset', 'type', 'kind', 'title', 'length', 'proposed'];
  if (o.raw !== undefined || !def) {
    if (o.raw === undefined) fail(where, `type ${type} has no known layout: give its bytes after the 4-byte header as "raw"`);
    onlyKeys(o, [], [...header, 'raw'], where);
    s.raw = parseHex(o.raw, `${where}.raw`);
    return s;
  }
  const body = def.body.kind === 'scopes' ? ['deviceScopes'] : def.body.kind === 'name' ? ['deviceName', 'nameTerminated'] : [];
  onlyKeys(o, def.fields, [...header, ...body, 'trailing'], where);
  s.fields = fieldsFromJson(def.fields, o, where);
  if (def.body.kind === 'scopes') {
    const list = o.deviceScopes ?? [];
    if (!Array.isArray(list)) return fail(`${where}.deviceScopes`, 'expected an array');
    s.scopes = list.map((x, i) => scopeFromJson(x, `${where}.deviceScopes[${i}]`));
  } else if (def.body.kind === 'name') {
    if (typeof o.deviceName !== 'string') fail(`${where}.deviceName`, 'expected a string');
    s.name = o.deviceName as string;
    if (o.nameTerminated === false) s.unterminated = true;
  }
  if (o.trailing !== undefined) s.trailing = parseHex(o.trailing, `${where}.trailing`);
  return s;
}

/** Read a JSON document (already parsed) into a table model. */
export function fromJson(doc: unknown): DmarTable {
  if (!isObject(doc)) return fail('document', 'expected a JSON object');
  if (doc.format !== undefined && doc.format !== JSON_FORMAT) fail('format', `${describeValue(doc.format)} is not ${JSON_FORMAT}`);
  // absent, as every field: zero (the signature DMAR)
  const headerDoc = doc.header === undefined ? {} : doc.header;
  if (!isObject(headerDoc)) return fail('header', 'expected an object');
  // `file`: the table's source, in a line of `decode --json` over several tables (encode reads such a line as it is)
  onlyKeys(doc, DMAR_FIELDS, ['format', 'file', 'header', 'checksumValid', 'structures', 'trailing', 'problems'], '');
  onlyKeys(headerDoc, ACPI_HEADER_FIELDS, [], 'header');
  const header = fieldsFromJson(ACPI_HEADER_FIELDS, headerDoc, 'header');
  if (header.signature === '') header.signature = 'DMAR';
  if (header.signature !== 'DMAR') fail('header.signature', `${describeValue(header.signature)} is not "DMAR"`);
  const structures = doc.structures === undefined ? [] : doc.structures;
  if (!Array.isArray(structures)) return fail('structures', 'expected an array');
  const t: DmarTable = {
    header,
    fields: fieldsFromJson(DMAR_FIELDS, doc, ''),
    structures: structures.map((s, i) => structureFromJson(s, `structures[${i}]`)),
  };
  if (doc.trailing !== undefined) t.trailing = parseHex(doc.trailing, 'trailing');
  return t;
}
