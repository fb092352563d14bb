/**
 * What must hold for any input bytes, however broken: the library functions
 * either succeed or throw a DmarError located inside the input; strict and
 * lenient decoding agree; the lenient model encodes back to the input's
 * bytes; the validator reports every framing problem the decoder finds.
 * Each violation is a Failure naming the property it breaks.
 */
import { checksumValid } from '../../src/acpi/header.js';
import { decodeDmar, type DecodeResult } from '../../src/dmar/decode.js';
import { diffJson, diffTables } from '../../src/dmar/table-diff.js';
import { fixTable, removeVirtDescriptors, setDmarFlag, setVirtDescriptor } from '../../src/dmar/edit.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { DmarError } from '../../src/dmar/errors.js';
import { diffText } from '../../src/dmar/format/diff-text.js';
import { tableHex } from '../../src/dmar/format/hex.js';
import { formatIasl, RAW_TABLE_DATA } from '../../src/dmar/codec/iasl.js';
import { PLAIN } from '../../src/dmar/format/paint.js';
import { tableText } from '../../src/dmar/format/text.js';
import { fromJson, toJson } from '../../src/dmar/codec/json.js';
import type { DmarTable } from '../../src/dmar/model.js';
import { parseSourceText } from '../../src/dmar/source.js';
import { validateBytes } from '../../src/dmar/validate/index.js';
import { structDef } from '../../src/dmar/schema.js';
import { TABLE_LENGTH_FIELD, writeUint } from './frame.js';

export interface Failure {
  /** The property broken, e.g. `decode-strict: throws DmarError only`. */
  property: string;
  message: string;
  /** Stack of an unexpected exception. */
  stack?: string;
}

export interface CheckOptions {
  /** The table the input was mutated from: `diff` compares the two. */
  reference?: Uint8Array;
  /** Also run the editing functions (set-flag, virt set/remove, fix) and diff (default true). */
  edits?: boolean;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

function attempt<T>(f: () => T): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The first offset where two byte strings differ, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Strings ACPICA's source format can carry: printable ASCII without quotes (it has no escapes). */
function iaslSafe(t: DmarTable): boolean {
  const ok = (s: unknown) => typeof s !== 'string' || (/^[\x20\x21\x23-\x7e]*$/.test(s) && !s.includes(RAW_TABLE_DATA));
  if (!Object.values(t.header).every(ok)) return false;
  return t.structures.every((s) => !s.unterminated && ok(s.name) && Object.values(s.fields).every(ok));
}

export function checkInput(bytes: Uint8Array, opts: CheckOptions = {}): Failure[] {
  const failures: Failure[] = [];
  const fail = (property: string, message: string, stack?: string) => failures.push({ property, message, ...(stack ? { stack } : {}) });
  const len = bytes.length;

  /** An exception is acceptable when it is a DmarError at an offset inside the input (or, if allowed, none). */
  const judge = (what: string, error: unknown, noOffsetOk = false, limit = len): DmarError | undefined => {
    if (!(error instanceof DmarError)) {
      const e = error as Error;
      fail(`${what}: throws DmarError only`, `${e?.name ?? typeof error}: ${e?.message ?? String(error)}`, e?.stack);
      return undefined;
    }
    const inside = error.offset !== undefined && error.offset >= 0 && error.offset <= limit;
    if (!inside && !(noOffsetOk && error.offset === undefined)) {
      fail(`${what}: error offset inside the input`, `${error.code} at offset ${error.offset} (input: ${limit} bytes): ${error.message}`);
    }
    if (/[\r\n]/.test(error.message)) fail(`${what}: one-line message`, JSON.stringify(error.message));
    return error;
  };

  const strict = attempt(() => decodeDmar(bytes, { strict: true }));
  const lenient = attempt(() => decodeDmar(bytes, { strict: false }));
  const strictErr = strict.ok ? undefined : judge('decode (strict)', strict.error);
  const lenientErr = lenient.ok ? undefined : judge('decode (lenient)', lenient.error);
  if ((!strict.ok && !strictErr) || (!lenient.ok && !lenientErr)) return failures;

  if (!lenient.ok) {
    // Lenient decoding gives up only on what is not a DMAR table at all: strict must give up the same way.
    if (strict.ok || strictErr!.code !== lenientErr!.code || strictErr!.offset !== lenientErr!.offset) {
      fail(
        'strict and lenient agree',
        `lenient threw ${lenientErr!.code}@${lenientErr!.offset}, strict ${strict.ok ? 'succeeded' : `threw ${strictErr!.code}@${strictErr!.offset}`}`,
      );
    }
    checkValidate(bytes, undefined, fail, judge);
    if (opts.edits ?? true) checkEdits(bytes, opts.reference, fail, judge);
    return failures;
  }

  const r = lenient.value;
  for (const p of r.problems) {
    if (p.offset < 0 || p.offset > len) fail('decode (lenient): problem offset inside the input', `${p.code} at ${p.offset} (input: ${len} bytes)`);
  }
  if (r.end < 0 || r.end > len) fail('decode (lenient): end inside the input', `end ${r.end}, input ${len} bytes`);
  const firstError = r.problems.find((p) => p.severity === 'error');
  if (strict.ok) {
    if (firstError) fail('strict and lenient agree', `strict succeeded, lenient found ${firstError.code}@${firstError.offset}`);
    else if (!sameJson(toJson(strict.value.table), toJson(r.table))) fail('strict and lenient agree', 'the two models differ');
  } else if (!firstError || firstError.code !== strictErr!.code || firstError.offset !== strictErr!.offset) {
    fail(
      'strict and lenient agree',
      `strict threw ${strictErr!.code}@${strictErr!.offset}, lenient's first error is ${firstError ? `${firstError.code}@${firstError.offset}` : 'none'}`,
    );
  }

  checkRoundTrips(bytes, r, fail);
  checkFormats(bytes, r, fail);
  checkValidate(bytes, r, fail, judge);
  if (opts.edits ?? true) checkEdits(bytes, opts.reference, fail, judge);
  return failures;
}

type Fail = (property: string, message: string, stack?: string) => void;
type Judge = (what: string, error: unknown, noOffsetOk?: boolean, limit?: number) => DmarError | undefined;

function unexpected(fail: Fail, property: string, e: unknown): void {
  const err = e as Error;
  fail(property, `${err?.name ?? typeof e}: ${err?.message ?? String(e)}`, err?.stack);
}

/**
 * Lenient decoding keeps every byte up to the table's end (malformed parts as
 * raw or trailing bytes), so encoding its model gives the input back, with one
 * exception: a Table Length past the end of the data is recomputed to the data's size.
 */
function checkRoundTrips(bytes: Uint8Array, r: DecodeResult, fail: Fail): void {
  const expected = bytes.slice(0, r.end);
  writeUint(expected, TABLE_LENGTH_FIELD.offset, TABLE_LENGTH_FIELD.size, r.end);
  let encoded: Uint8Array;
  try {
    encoded = encodeDmar(r.table, { keepChecksum: true });
  } catch (e) {
    unexpected(fail, 'lenient model encodes', e);
    return;
  }
  const at = firstDifference(encoded, expected);
  if (at >= 0) fail('encode(lenient decode) gives the input back', `first difference at ${at} (encoded ${encoded.length} bytes, table ${r.end})`);

  try {
    if (!checksumValid(encodeDmar(r.table))) fail('encode fixes the checksum', 'the encoded table does not sum to 0');
  } catch (e) {
    unexpected(fail, 'lenient model encodes', e);
  }

  try {
    const doc = JSON.parse(JSON.stringify(toJson(r.table, bytes)));
    const viaJson = encodeDmar(fromJson(doc), { keepChecksum: true });
    const j = firstDifference(viaJson, encoded);
    if (j >= 0) fail('JSON document round-trips', `first difference at ${j}`);
  } catch (e) {
    unexpected(fail, 'JSON document round-trips', e);
  }

  if (iaslSafe(r.table)) {
    for (const dialect of ['current', '2020'] as const) {
      try {
        const src = formatIasl(r.table, { dialect, rawBytes: expected }).text;
        const viaIasl = encodeDmar(parseSourceText(src), { keepChecksum: true });
        const j = firstDifference(viaIasl, encoded);
        if (j >= 0) fail(`iasl source (${dialect}) round-trips`, `first difference at ${j}`);
      } catch (e) {
        unexpected(fail, `iasl source (${dialect}) round-trips`, e);
      }
    }
  }
}

function checkFormats(bytes: Uint8Array, r: DecodeResult, fail: Fail): void {
  const formats: [string, () => unknown][] = [
    ['text', () => tableText(r.table, bytes, PLAIN)],
    ['hex', () => tableHex(r.table, bytes, PLAIN)],
    ['iasl', () => formatIasl(r.table, { rawBytes: bytes.subarray(0, r.end) })],
    ['iasl 2020', () => formatIasl(r.table, { dialect: '2020' })],
  ];
  for (const [name, f] of formats) {
    try {
      f();
    } catch (e) {
      unexpected(fail, `format ${name} of the lenient model never throws`, e);
    }
  }
}

function checkValidate(bytes: Uint8Array, r: DecodeResult | undefined, fail: Fail, judge: Judge): void {
  const v = attempt(() => validateBytes(bytes));
  if (!v.ok) {
    const err = judge('validate', v.error);
    if (err && r) fail('validate throws only for what is not a DMAR table', `${err.code}@${err.offset}: ${err.message}`);
    return;
  }
  if (!r) {
    fail('validate throws only for what is not a DMAR table', 'validate accepted what lenient decoding rejects');
    return;
  }
  for (const f of v.value) {
    if (f.offset < 0 || f.offset > bytes.length) fail('validate: finding offset inside the input', `${f.id} at ${f.offset} (input: ${bytes.length} bytes)`);
    if (/[\r\n]/.test(f.message)) fail('validate: one-line messages', `${f.id}: ${JSON.stringify(f.message)}`);
  }
  for (const p of r.problems) {
    // a structure of a proposed type too short for its fields is the proposal's check's (labelled proposed)
    const s = p.structure === undefined ? undefined : r.table.structures[p.structure];
    const id = p.code === 'DMAR-STRUCT-TOO-SHORT' && s && structDef(s.type)?.proposed ? 'DMAR-VIRT-LENGTH' : p.code;
    if (!v.value.some((f) => f.id === id && f.offset === p.offset)) {
      fail('validate reports every decoding problem', `${p.code}@${p.offset} has no finding`);
    }
  }
}

/** The editors and diff: they may refuse a broken table, with a DmarError, never crash. */
function checkEdits(bytes: Uint8Array, reference: Uint8Array | undefined, fail: Fail, judge: Judge): void {
  const edits: [string, () => { bytes: Uint8Array }][] = [
    ['set-flag', () => setDmarFlag(bytes, 'ims-optout', true)],
    ['set-flag --force', () => setDmarFlag(bytes, 'intr-remap', true, { force: true })],
    ['virt set --force', () => setVirtDescriptor(bytes, { virtualized: true, features: ['ims'] }, { force: true })],
    ['virt remove --force', () => removeVirtDescriptors(bytes, { force: true })],
    ['fix', () => fixTable(bytes)],
  ];
  for (const [name, f] of edits) {
    const r = attempt(f);
    if (!r.ok) {
      judge(name, r.error, true);
      continue;
    }
    const d = attempt(() => decodeDmar(r.value.bytes, { strict: false }));
    if (!d.ok) fail(`${name}: the result decodes`, `${(d.error as Error).message}`);
  }
  const d = attempt(() => {
    const diff = diffTables(reference ?? bytes, bytes);
    diffText(diff, PLAIN);
    diffJson(diff);
    return diff;
  });
  // the reference may be the one that is no DMAR table (some fixtures are cut short on purpose)
  if (!d.ok) judge('diff', d.error, false, Math.max(bytes.length, reference?.length ?? 0));
  else if (d.value.equal !== firstDifference(reference ?? bytes, bytes) < 0) fail('diff: equal means the same bytes', `equal=${d.value.equal}`);
}
