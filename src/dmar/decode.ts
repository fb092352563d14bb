/**
 * The framing walker: checks every length before any field is read, then
 * hands each fixed part to the parser generated from its schema rows.
 */
import { fieldByKey, fieldEnd, readUint } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS, ACPI_HEADER_SIZE } from '../acpi/header.js';
import { DmarError } from './errors.js';
import type { DeviceScope, DmarTable, Structure } from './model.js';
import { fieldParser, latin1, parsePathAt, viewOf } from './parsers.js';
import {
  DMAR_FIELDS, DMAR_FIXED_SIZE, DMAR_SIGNATURE, PATH_ENTRY_SIZE, SCOPE_FIELDS, SCOPE_HEADER_SIZE,
  SUBTABLE_HEADER_FIELDS, SUBTABLE_HEADER_SIZE, structDef,
} from './schema.js';

export type Severity = 'error' | 'warning' | 'info';

/** A framing defect found while decoding. `code` is the validator's check ID. */
export interface Problem {
  code: string;
  severity: Severity;
  offset: number;
  message: string;
  /** The message without its location (structure, scope, offset), for reports that place it themselves. */
  reason: string;
  /** Index of the structure concerned, when there is one. */
  structure?: number;
}

/** What the walker says of a defect: where it is (for the message) and what it is. */
type Report = (p: Omit<Problem, 'message'> & { where?: string }) => void;

export interface DecodeResult {
  table: DmarTable;
  problems: Problem[];
  /** Bytes of the input that the table covers (Table Length, or less when truncated). */
  end: number;
}

export interface DecodeOptions {
  /** Throw a DmarError at the first error-level problem (default true). */
  strict?: boolean;
}

const SIGNATURE = fieldByKey(ACPI_HEADER_FIELDS, 'signature');
const TABLE_LENGTH = fieldByKey(ACPI_HEADER_FIELDS, 'length');
const TYPE = fieldByKey(SUBTABLE_HEADER_FIELDS, 'type');
const LENGTH = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');
const SCOPE_LENGTH = fieldByKey(SCOPE_FIELDS, 'length');
/** A plain Uint8Array copy (never a Buffer view), so models compare and serialise alike. */
const copy = (b: Uint8Array, from: number, to: number) => new Uint8Array(b.subarray(from, to));

/** Decode a DMAR table. Throws DmarError for input that is not a DMAR table at all. */
export function decodeDmar(input: Uint8Array, opts: DecodeOptions = {}): DecodeResult {
  // a plain view: a Buffer's subarray() costs several times a Uint8Array's, and the walker takes many
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  // one DataView for the whole table: each parser reads at its offset
  const view = viewOf(bytes);
  const strict = opts.strict ?? true;
  const problems: Problem[] = [];
  const report: Report = ({ where, ...rest }) => {
    const p: Problem = { ...rest, message: where ? `${where}: ${rest.reason}` : rest.reason };
    if (strict && p.severity === 'error') throw new DmarError(p.message, p.offset, p.code);
    problems.push(p);
  };

  if (bytes.length < ACPI_HEADER_SIZE) {
    throw new DmarError(`truncated: ${bytes.length} bytes, an ACPI table header needs ${ACPI_HEADER_SIZE}`, bytes.length, 'DMAR-HDR-TRUNCATED');
  }
  const sig = latin1(bytes.subarray(SIGNATURE.offset, fieldEnd(SIGNATURE)));
  if (sig !== DMAR_SIGNATURE) {
    throw new DmarError(`signature is ${JSON.stringify(sig)}, not "${DMAR_SIGNATURE}"`, SIGNATURE.offset, 'DMAR-HDR-SIGNATURE');
  }
  const header = fieldParser(ACPI_HEADER_FIELDS).parseAt(bytes, view, 0);
  const declared = header.length as number;
  if (declared < DMAR_FIXED_SIZE) {
    throw new DmarError(`Table Length ${declared} is shorter than the DMAR fixed part (${DMAR_FIXED_SIZE} bytes)`, TABLE_LENGTH.offset, 'DMAR-HDR-LENGTH-SHORT');
  }
  if (bytes.length < DMAR_FIXED_SIZE) {
    throw new DmarError(`truncated: ${bytes.length} bytes, the DMAR fixed part needs ${DMAR_FIXED_SIZE}`, bytes.length, 'DMAR-HDR-TRUNCATED');
  }
  let end = declared;
  if (declared > bytes.length) {
    report({
      code: 'DMAR-HDR-LENGTH-PAST-END', severity: 'error', offset: TABLE_LENGTH.offset,
      reason: `Table Length ${declared} runs past the end of the data (${bytes.length} bytes)`,
    });
    end = bytes.length;
  } else if (declared < bytes.length) {
    report({
      code: 'DMAR-HDR-EXTRA-DATA', severity: 'warning', offset: declared,
      reason: `${bytes.length - declared} bytes after Table Length (${declared}) are not part of the table`,
    });
  }

  const fields = fieldParser(DMAR_FIELDS).parseAt(bytes, view, ACPI_HEADER_SIZE);
  const table: DmarTable = { header, fields, structures: [] };

  let off = DMAR_FIXED_SIZE;
  while (off < end) {
    const index = table.structures.length;
    if (end - off < SUBTABLE_HEADER_SIZE) {
      report({ code: 'DMAR-TABLE-TRAILING', severity: 'error', offset: off, reason: `${end - off} stray bytes after the last structure` });
      table.trailing = copy(bytes, off, end);
      break;
    }
    const type = readUint(bytes, off + TYPE.offset, TYPE.size);
    const len = readUint(bytes, off + LENGTH.offset, LENGTH.size);
    const why =
      len === 0 ? 'Length is 0 (Linux stops reading the table here)'
      : len < SUBTABLE_HEADER_SIZE ? `Length ${len} is shorter than a structure header`
      : off + len > end ? `Length ${len} runs past the end of the table (${end - off} bytes left)`
      : undefined;
    if (why) {
      report({
        code: len === 0 ? 'DMAR-STRUCT-ZERO-LENGTH' : len < SUBTABLE_HEADER_SIZE ? 'DMAR-STRUCT-TOO-SHORT' : 'DMAR-STRUCT-OVERRUN',
        severity: 'error', offset: off + LENGTH.offset, structure: index,
        where: `structure type ${type} at 0x${off.toString(16)}`, reason: why,
      });
      table.trailing = copy(bytes, off, end);
      break;
    }
    table.structures.push(decodeStructure(bytes, view, off, type, len, index, report));
    off += len;
  }
  return { table, problems, end };
}

function decodeStructure(
  bytes: Uint8Array, view: DataView, off: number, type: number, len: number, index: number, report: Report,
): Structure {
  const def = structDef(type);
  const s: Structure = { offset: off, type, length: len, fields: {} };
  if (!def || len < def.fixedSize) {
    if (def) {
      report({
        code: 'DMAR-STRUCT-TOO-SHORT', severity: 'error', offset: off + LENGTH.offset, structure: index,
        where: `${def.abbrev} at 0x${off.toString(16)}`,
        reason: `Length ${len} is shorter than its fixed part (${def.fixedSize} bytes)`,
      });
    }
    s.raw = copy(bytes, off + SUBTABLE_HEADER_SIZE, off + len);
    return s;
  }
  s.fields = fieldParser(def.fields).parseAt(bytes, view, off + SUBTABLE_HEADER_SIZE);
  const bodyStart = off + def.fixedSize;
  const bodyEnd = off + len;
  if (def.body === 'scopes') {
    const { scopes, stop } = decodeScopes(bytes, view, bodyStart, bodyEnd, def.abbrev, index, report);
    s.scopes = scopes;
    if (stop < bodyEnd) s.trailing = copy(bytes, stop, bodyEnd);
  } else if (def.body === 'name') {
    const body = bytes.subarray(bodyStart, bodyEnd);
    const nul = body.indexOf(0);
    if (nul < 0) {
      report({
        code: 'DMAR-ANDD-NAME-UNTERMINATED', severity: 'error', offset: bodyStart, structure: index,
        where: `${def.abbrev} at 0x${off.toString(16)}`,
        reason: `${def.bodyName} is not NUL terminated within Length`,
      });
      s.name = latin1(body);
      s.unterminated = true;
    } else {
      s.name = latin1(body.subarray(0, nul));
      if (nul + 1 < body.length) s.trailing = copy(body, nul + 1, body.length);
    }
  } else if (bodyEnd > bodyStart) {
    s.trailing = copy(bytes, bodyStart, bodyEnd);
  }
  return s;
}

function decodeScopes(
  bytes: Uint8Array, view: DataView, start: number, end: number, parent: string, index: number, report: Report,
): { scopes: DeviceScope[]; stop: number } {
  const scopes: DeviceScope[] = [];
  let o = start;
  while (o < end) {
    const slen = end - o >= fieldEnd(SCOPE_LENGTH) ? readUint(bytes, o + SCOPE_LENGTH.offset, SCOPE_LENGTH.size) : -1;
    const why =
      slen < 0 ? `${end - o} stray byte${end - o > 1 ? 's' : ''} where a device scope should start`
      : slen < SCOPE_HEADER_SIZE ? `Entry Length ${slen} is shorter than a device scope (${SCOPE_HEADER_SIZE} bytes)`
      : o + slen > end ? `Entry Length ${slen} runs past the end of its ${parent} (${end - o} bytes left)`
      : (slen - SCOPE_HEADER_SIZE) % PATH_ENTRY_SIZE !== 0 ? `Entry Length ${slen} is not ${SCOPE_HEADER_SIZE} + ${PATH_ENTRY_SIZE}n`
      : undefined;
    if (why) {
      const code = slen >= 0 && o + slen > end && slen >= SCOPE_HEADER_SIZE ? 'DMAR-SCOPE-OVERRUN'
        : slen >= SCOPE_HEADER_SIZE ? 'DMAR-SCOPE-LENGTH' : 'DMAR-SCOPE-TOO-SHORT';
      report({
        code, severity: 'error', offset: slen < 0 ? o : o + SCOPE_LENGTH.offset, structure: index,
        where: `device scope at 0x${o.toString(16)} in ${parent}`, reason: why,
      });
      break;
    }
    const fields = fieldParser(SCOPE_FIELDS).parseAt(bytes, view, o);
    scopes.push({ offset: o, fields, path: parsePathAt(bytes, view, o + SCOPE_HEADER_SIZE, o + slen) });
    o += slen;
  }
  return { scopes, stop: o };
}


