/**
 * The framing walker: checks every length before any field is read, then
 * hands each fixed part to the parser generated from its schema rows.
 */
import { fieldByKey, fieldEnd, readUint } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS, ACPI_HEADER_SIZE, expectBytes } from '../acpi/header.js';
import { hex } from '../acpi/hex.js';
import type { Report } from './body.js';
import { DmarError } from './errors.js';
import { quoted } from '../acpi/escape.js';
import type { DmarTable, Structure } from './model.js';
import { fieldParser, latin1, viewOf } from './parsers.js';
import { DMAR_FIELDS, DMAR_FIXED_SIZE, DMAR_SIGNATURE, SUBTABLE_HEADER_FIELDS, SUBTABLE_HEADER_SIZE, structDef } from './schema.js';

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
/** A plain Uint8Array copy (never a Buffer view), so models compare and serialise alike. */
const copy = (b: Uint8Array, from: number, to: number) => new Uint8Array(b.subarray(from, to));

/**
 * The codes decodeDmar throws whatever its options (`strict: false` included):
 * input that is no DMAR table at all, or whose Table Length leaves out its
 * fixed part. Every other defect a lenient decode reports and goes on.
 */
export const NOT_A_TABLE: ReadonlySet<string> = new Set(['DMAR-HDR-TRUNCATED', 'DMAR-HDR-SIGNATURE', 'DMAR-HDR-LENGTH-SHORT']);

/** Decode a DMAR table. Throws DmarError for input that is not a DMAR table at all (NOT_A_TABLE). */
export function decodeDmar(input: Uint8Array, opts: DecodeOptions = {}): DecodeResult {
  expectBytes(input);
  // a plain view: a Buffer's subarray() costs several times a Uint8Array's, and the walker takes many
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  // one DataView for the table: every parser reads at its offset in it
  const view = viewOf(bytes);
  const strict = opts.strict ?? true;
  const problems: Problem[] = [];
  const report: Report = ({ where, ...rest }) => {
    const p: Problem = { ...rest, message: where ? `${where}: ${rest.reason}` : rest.reason };
    if (strict && p.severity === 'error') throw new DmarError(p.message, { offset: p.offset, code: p.code });
    problems.push(p);
  };

  if (bytes.length < ACPI_HEADER_SIZE) {
    throw new DmarError(`truncated: ${bytes.length} bytes, an ACPI table header needs ${ACPI_HEADER_SIZE}`, {
      offset: bytes.length,
      code: 'DMAR-HDR-TRUNCATED',
    });
  }
  const sig = latin1(bytes, SIGNATURE.offset, fieldEnd(SIGNATURE));
  if (sig !== DMAR_SIGNATURE) {
    throw new DmarError(`signature is ${quoted(sig)}, not "${DMAR_SIGNATURE}"`, { offset: SIGNATURE.offset, code: 'DMAR-HDR-SIGNATURE' });
  }
  const header = (HEADER_PARSER ??= fieldParser(ACPI_HEADER_FIELDS)).parseAt(bytes, view, 0);
  const declared = header.length as number;
  if (declared < DMAR_FIXED_SIZE) {
    throw new DmarError(`Table Length ${declared} is shorter than the DMAR fixed part (${DMAR_FIXED_SIZE} bytes)`, {
      offset: TABLE_LENGTH.offset,
      code: 'DMAR-HDR-LENGTH-SHORT',
    });
  }
  if (bytes.length < DMAR_FIXED_SIZE) {
    throw new DmarError(`truncated: ${bytes.length} bytes, the DMAR fixed part needs ${DMAR_FIXED_SIZE}`, { offset: bytes.length, code: 'DMAR-HDR-TRUNCATED' });
  }
  let end = declared;
  if (declared > bytes.length) {
    report({
      code: 'DMAR-HDR-LENGTH-PAST-END',
      severity: 'error',
      offset: TABLE_LENGTH.offset,
      reason: `Table Length ${declared} runs past the end of the data (${bytes.length} bytes)`,
    });
    end = bytes.length;
  } else if (declared < bytes.length) {
    report({
      code: 'DMAR-HDR-EXTRA-DATA',
      severity: 'warning',
      offset: declared,
      reason: `${bytes.length - declared} bytes after Table Length (${declared}) are not part of the table`,
    });
  }

  const fields = (DMAR_PARSER ??= fieldParser(DMAR_FIELDS)).parseAt(bytes, view, ACPI_HEADER_SIZE);
  const table: DmarTable = { header, fields, structures: [] };

  // frames()'s walk, by frameAt() (no generator to resume per structure)
  for (let off = DMAR_FIXED_SIZE; off < end; ) {
    const length = frameAt(bytes, off, end);
    if (typeof length !== 'number') {
      // stray bytes too few for a structure header belong to none: the table's own defect
      report({ ...length, severity: 'error', structure: length.code === 'DMAR-TABLE-TRAILING' ? undefined : table.structures.length });
      table.trailing = copy(bytes, off, end);
      break;
    }
    table.structures.push(decodeStructure(bytes, view, off, readUint(bytes, off + TYPE.offset, TYPE.size), length, table.structures.length, report));
    off += length;
  }
  return { table, problems, end };
}

/** A structure the framing walk found: where it starts, its Type and its Length. */
export interface Frame {
  offset: number;
  type: number;
  length: number;
}

/** Why the framing walk stopped before `end`, as a decode problem says it. */
export interface FrameDefect {
  code: string;
  offset: number;
  where?: string;
  reason: string;
}

/**
 * The one length-checking walk over the structures, from the end of the DMAR
 * fixed part to `end`: yields each structure whose header and Length fit, and
 * returns where the walk stopped (`end`, or the first structure that does not
 * frame) and why. The decoder (by frameAt(), as this walk) and the edits' Table Length repair both walk so.
 */
export function* frames(bytes: Uint8Array, end: number): Generator<Frame, { stop: number; defect?: FrameDefect }> {
  let off = DMAR_FIXED_SIZE;
  while (off < end) {
    const length = frameAt(bytes, off, end);
    if (typeof length !== 'number') return { stop: off, defect: length };
    yield { offset: off, type: readUint(bytes, off + TYPE.offset, TYPE.size), length };
    off += length;
  }
  return { stop: off };
}

/** One step of the walk: the Length of the structure at `off` when its header and Length fit before `end`, else why not. */
function frameAt(bytes: Uint8Array, off: number, end: number): number | FrameDefect {
  if (end - off < SUBTABLE_HEADER_SIZE) {
    return { code: 'DMAR-TABLE-TRAILING', offset: off, reason: `${end - off} stray bytes after the last structure` };
  }
  const len = readUint(bytes, off + LENGTH.offset, LENGTH.size);
  if (len !== 0 && len >= SUBTABLE_HEADER_SIZE && off + len <= end) return len;
  const type = readUint(bytes, off + TYPE.offset, TYPE.size);
  const why =
    len === 0
      ? 'Length is 0 (Linux stops reading the table here)'
      : len < SUBTABLE_HEADER_SIZE
        ? `Length ${len} is shorter than a structure header`
        : `Length ${len} runs past the end of the table (${end - off} bytes left)`;
  return {
    code: len === 0 ? 'DMAR-STRUCT-ZERO-LENGTH' : len < SUBTABLE_HEADER_SIZE ? 'DMAR-STRUCT-TOO-SHORT' : 'DMAR-STRUCT-OVERRUN',
    offset: off + LENGTH.offset,
    where: `structure type ${type} at ${hex(off)}`,
    reason: why,
  };
}

// The parsers of every table's rows, made on first use: not looked up per table and structure.
let HEADER_PARSER: ReturnType<typeof fieldParser> | undefined;
let DMAR_PARSER: ReturnType<typeof fieldParser> | undefined;
/** By structure Type, for the Types the specification numbers from 0 (the proposed 0x8001 is looked up). */
const STRUCT_PARSERS = new Array<ReturnType<typeof fieldParser> | undefined>(16).fill(undefined);

function decodeStructure(bytes: Uint8Array, view: DataView, off: number, type: number, len: number, index: number, report: Report): Structure {
  const def = structDef(type);
  const s: Structure = { offset: off, type, length: len, fields: {} };
  if (!def || len < def.fixedSize) {
    if (def) {
      report({
        code: 'DMAR-STRUCT-TOO-SHORT',
        severity: 'error',
        offset: off + LENGTH.offset,
        structure: index,
        where: `${def.abbrev} at ${hex(off)}`,
        reason: `Length ${len} is shorter than its fixed part (${def.fixedSize} bytes)`,
      });
    }
    s.raw = copy(bytes, off + SUBTABLE_HEADER_SIZE, off + len);
    return s;
  }
  const parser = type < STRUCT_PARSERS.length ? (STRUCT_PARSERS[type] ??= fieldParser(def.fields)) : fieldParser(def.fields);
  s.fields = parser.parseAt(bytes, view, off + SUBTABLE_HEADER_SIZE);
  const bodyStart = off + def.fixedSize;
  const bodyEnd = off + len;
  const stop = def.body.decode(bytes, bodyStart, bodyEnd, s, { def, index, report, view });
  if (stop < bodyEnd) s.trailing = copy(bytes, stop, bodyEnd);
  return s;
}
