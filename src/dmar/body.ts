/**
 * The variable part of a structure, after its fixed rows: a list of device
 * scopes, a NUL-terminated name, or nothing. Each is one codec object that the
 * schema's StructDef owns (`def.body`): the decoder, the size computation and
 * the layout walk (which the encoder and every writer follow) ask the codec
 * instead of switching on the kind of body.

 */
import { fieldByKey, fieldEnd, readUint } from '../acpi/fields.js';
import { hex } from '../acpi/hex.js';
import type { Problem } from './decode.js';
import type { Item } from './layout.js';
import { nameSize, type DeviceScope, type Structure } from './model.js';
import { fieldParser, latin1, parsePathAt } from './parsers.js';
import type { StructDef } from './schema.js';
import { PATH_ENTRY_SIZE, PATH_FIELDS, SCOPE_FIELDS, SCOPE_HEADER_SIZE } from './scope-rows.js';

/** What the framing walker says of a defect: where it is (for the message) and what it is. */
export type Report = (p: Omit<Problem, 'message'> & { where?: string }) => void;

/** The structure a body belongs to, for the messages of its defects. */
export interface BodyPlace {
  readonly def: StructDef;
  /** Index of the structure in the table. */
  readonly index: number;
  readonly report: Report;
  /** A DataView of the whole table: the parsers read at their offset in it. */
  readonly view: DataView;
}

export type BodyKind = 'scopes' | 'name' | 'none';

export interface BodyCodec {
  readonly kind: BodyKind;
  /** ACPICA's name of the body when it is one value (ANDD `Device Name`). */
  readonly title?: string;
  /** Zero bytes after the content are padding the body implies (ACPICA prints none of them). */
  readonly padded: boolean;
  /**
   * Decode the bytes [start, end) of a structure into `s`; returns where the
   * decoded content stops (the bytes after it are the structure's trailing bytes).
   */
  decode(bytes: Uint8Array, start: number, end: number, s: Structure, at: BodyPlace): number;
  /** Bytes the body encodes to (its trailing bytes not included). */
  size(s: Structure): number;
  /** The body's layout items from `at` in byte order (see layout.ts); returns where it ends. */
  items(s: Structure, at: number, def: StructDef): Generator<Item, number>;
}

/** The size a device scope encodes to. */
export function scopeSize(sc: DeviceScope): number {
  return SCOPE_HEADER_SIZE + PATH_ENTRY_SIZE * sc.path.length;
}

const SCOPE_LENGTH = fieldByKey(SCOPE_FIELDS, 'length');

/** fieldParser(SCOPE_FIELDS), made on first use (not looked up per structure and table). */
let SCOPE_PARSER: ReturnType<typeof fieldParser> | undefined;

/** decodeScopes' list as it is read; the structure keeps a copy of exactly its length (a list grown by push keeps room for 17). */
const READ: DeviceScope[] = [];

function decodeScopes(bytes: Uint8Array, start: number, end: number, s: Structure, { def, index, report, view }: BodyPlace): number {
  let n = 0;
  // reported once READ is cleared: a strict decode's report throws, and READ would keep this table's scopes alive
  let problem: Parameters<typeof report>[0] | undefined;
  const scopeParser = (SCOPE_PARSER ??= fieldParser(SCOPE_FIELDS));
  let o = start;
  while (o < end) {
    const slen = end - o >= fieldEnd(SCOPE_LENGTH) ? readUint(bytes, o + SCOPE_LENGTH.offset, SCOPE_LENGTH.size) : -1;
    const why =
      slen < 0
        ? `${end - o} stray byte${end - o > 1 ? 's' : ''} where a device scope should start`
        : slen < SCOPE_HEADER_SIZE
          ? `Entry Length ${slen} is shorter than a device scope (${SCOPE_HEADER_SIZE} bytes)`
          : o + slen > end
            ? `Entry Length ${slen} runs past the end of its ${def.abbrev} (${end - o} bytes left)`
            : (slen - SCOPE_HEADER_SIZE) % PATH_ENTRY_SIZE !== 0
              ? `Entry Length ${slen} is not ${SCOPE_HEADER_SIZE} + ${PATH_ENTRY_SIZE}n`
              : undefined;
    if (why) {
      const code =
        slen >= 0 && o + slen > end && slen >= SCOPE_HEADER_SIZE
          ? 'DMAR-SCOPE-OVERRUN'
          : slen >= SCOPE_HEADER_SIZE
            ? 'DMAR-SCOPE-LENGTH'
            : 'DMAR-SCOPE-TOO-SHORT';
      problem = {
        code,
        severity: 'error',
        offset: slen < 0 ? o : o + SCOPE_LENGTH.offset,
        structure: index,
        where: `device scope at ${hex(o)} in ${def.abbrev}`,
        reason: why,
      };
      break;
    }
    const fields = scopeParser.parseAt(bytes, view, o);
    READ[n++] = { offset: o, fields, path: parsePathAt(bytes, view, o + SCOPE_HEADER_SIZE, o + slen) };
    o += slen;
  }
  s.scopes = READ.slice(0, n);
  // (a loop: Array.prototype.fill is a call into the runtime)
  for (let i = 0; i < n; i++) READ[i] = undefined as unknown as DeviceScope;
  if (problem) report(problem);
  return o;
}

function* scopeItems(s: Structure, start: number, def: StructDef): Generator<Item, number> {
  let at = start;
  const scopes = s.scopes ?? [];
  for (const [j, sc] of scopes.entries()) {
    yield { kind: 'scope', offset: at, index: j, sc, parent: def };
    for (const row of SCOPE_FIELDS) {
      yield { kind: 'field', offset: at + row.offset, row, value: sc.fields[row.key] ?? 0, where: 'scope', scopeParent: def };
    }
    let p = at + SCOPE_HEADER_SIZE;
    for (const e of sc.path) {
      yield { kind: 'path', offset: p, device: e.device, function: e.function, rows: PATH_FIELDS };
      p += PATH_ENTRY_SIZE;
    }
    at += scopeSize(sc);
  }
  return at;
}

/** A list of device scopes (DRHD, RMRR, ATSR, SATC, SIDP). */
export const SCOPES_BODY: BodyCodec = {
  kind: 'scopes',
  padded: false,
  decode: decodeScopes,
  size: (s) => (s.scopes ?? []).reduce((n, sc) => n + scopeSize(sc), 0),
  items: scopeItems,
};

/** A NUL-terminated ASCII name filling the rest of the structure (ANDD), its padding implied. */
export function nameBody(title: string): BodyCodec {
  return {
    kind: 'name',
    title,
    padded: true,
    decode(bytes, start, end, s, { def, index, report }) {
      const body = bytes.subarray(start, end);
      const nul = body.indexOf(0);
      if (nul < 0) {
        report({
          code: 'DMAR-ANDD-NAME-UNTERMINATED',
          severity: 'error',
          offset: start,
          structure: index,
          where: `${def.abbrev} at ${hex(s.offset)}`,
          reason: `${title} is not NUL terminated within Length`,
        });
        s.name = latin1(body);
        s.unterminated = true;
        return end;
      }
      s.name = latin1(body.subarray(0, nul));
      return start + nul + 1;
    },
    size: nameSize,
    *items(s, at) {
      const size = nameSize(s);
      yield { kind: 'name', offset: at, name: s.name ?? '', size, terminated: !s.unterminated, title };
      return at + size;
    },
  };
}

/** Nothing after the fixed part (RHSA, the proposed descriptor). */
export const NO_BODY: BodyCodec = {
  kind: 'none',
  padded: false,
  decode: (_bytes, start) => start,
  size: () => 0,
  // biome-ignore lint/correctness/useYield: a structure with nothing after its fixed part lays out no item
  *items(_s, at) {
    return at;
  },
};
