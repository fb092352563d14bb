/**
 * binary-parser parsers generated from the schema rows, compiled once per row
 * set on first use. They read the fixed parts only; the framing walker in
 * decode.ts has checked every length before a parser sees the bytes.
 */
import { Parser } from 'binary-parser';
import { readUint, type FieldDef, type FieldValue } from '../acpi/fields.js';
import { PATH_ENTRY_SIZE, PATH_FIELDS } from './scope-rows.js';
import { PRECOMPILED, type ParserFactory } from './parsers-precompiled.js';

/** latin1()'s argument lists for short ranges, one per length: filled and passed to fromCharCode, not made per call. */
const CODES: number[][] = [];
/** Up to this many bytes, latin1() fills one of CODES; a longer range goes through views of up to CHUNK bytes. */
const SHORT = 64;
const CHUNK = 4096;

/**
 * Bytes [start, end) as the characters of those codes (latin1). A short range (every ASCII field of a table)
 * is read into a kept argument list, with no view of the bytes made: a subarray costs a table's decode
 * some 100 bytes and 0.25 us per field; a longer one in one call per 4 KiB rather than a string built char by char.
 */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  if (n <= SHORT) {
    if (n <= 0) return '';
    const codes = (CODES[n] ??= new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) codes[i] = bytes[start + i]!;
    return String.fromCharCode.apply(null, codes);
  }
  let s = '';
  for (let i = start; i < end; i += CHUNK) s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + CHUNK, end)) as unknown as number[]);
  return s;
}

/** ASCII field, bytes [start, end): as latin1 characters, trailing NULs dropped (the encoder pads them back). */
export function asciiValue(bytes: Uint8Array, start = 0, end = bytes.length): string {
  while (end > start && bytes[end - 1] === 0) end--;
  return latin1(bytes, start, end);
}

// The formatters of the generated parsers, given the bytes of their field as the table and a range (compile()).
const uintLE = (bytes: Uint8Array, start: number, end: number) => readUint(bytes, start, end - start);
/** A plain Uint8Array copy (never a view, never a Buffer), so that models compare and serialise alike. */
const copyBytes = (bytes: Uint8Array, start: number, end: number) => {
  const out = new Uint8Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = bytes[start + i]!;
  return out;
};

/** The formatters a parser imports, by name: a precompiled parser names its imports (parsers-precompiled.ts). */
const IMPORTS: Record<string, unknown> = { uintLE, asciiValue, copyBytes };
const importName = (f: unknown): string => {
  const name = Object.keys(IMPORTS).find((k) => IMPORTS[k] === f);
  if (name === undefined) throw new Error('binary-parser: generated code imports an unknown function');
  return name;
};

/** One parser as the bundle build precompiles it: its signature, binary-parser's code and its imports' names. */
export interface ParserSource {
  signature: string;
  code: string;
  imports: string[];
}
/** Every parser generated and compiled in this process (scripts/bundle.mjs reads them after decoding the fixtures). */
export const parserSources = new Map<string, ParserSource>();

/** What a parser reads, in order: rows of the same kinds, sizes and keys make the same code. */
export const signature = (fields: readonly FieldDef[]): string => fields.map((f) => `${f.kind}:${f.size}:${f.key}`).join(',');

type Compiled = {
  parse(bytes: Uint8Array): Record<string, FieldValue>;
  /** The same, reading at `offset` of a whole table through its one DataView (no view made per call). */
  parseAt(bytes: Uint8Array, view: DataView, offset: number): Record<string, FieldValue>;
};
const cache = new WeakMap<readonly FieldDef[], Compiled>();

/** A parser for rows that sit back to back, reading from the first row's offset. */
export function fieldParser(fields: readonly FieldDef[]): Compiled {
  const hit = cache.get(fields);
  if (hit) return hit;
  let at = fields[0]?.offset ?? 0;
  for (const f of fields) {
    if (f.offset !== at) throw new Error(`schema: ${f.name} at ${f.offset}, expected ${at}`);
    at += f.size;
  }
  const parse = compile(signature(fields), () => {
    let p = new Parser().endianness('little');
    for (const f of fields) {
      if (f.kind === 'uint' && f.size === 1) p = p.uint8(f.key);
      else if (f.kind === 'uint' && f.size === 2) p = p.uint16le(f.key);
      else if (f.kind === 'uint' && f.size === 4) p = p.uint32le(f.key);
      else if (f.kind === 'uint' && f.size === 8) p = p.uint64le(f.key);
      else if (f.kind === 'uint') p = p.buffer(f.key, { length: f.size, formatter: uintLE as (x: unknown) => unknown } as never);
      else if (f.kind === 'ascii') p = p.buffer(f.key, { length: f.size, formatter: asciiValue as (x: unknown) => unknown } as never);
      else p = p.buffer(f.key, { length: f.size, formatter: copyBytes as (x: unknown) => unknown } as never);
    }
    return p;
  });
  // the rows' bytes, from the first row's offset: a read past the input's end throws, as a DataView's does
  // (the formatted fields read through a range, which would give short or zero values instead)
  const size = at - (fields[0]?.offset ?? 0);
  const short = (length: number, offset: number) => new RangeError(`fieldParser: ${size} bytes of rows at offset ${offset}, past the end of ${length} bytes`);
  const compiled: Compiled = {
    parse(bytes: Uint8Array) {
      if (bytes.length < size) throw short(bytes.length, 0);
      return parse(bytes, viewOf(bytes), 0, bytes.length) as Record<string, FieldValue>;
    },
    parseAt(bytes: Uint8Array, view: DataView, offset: number) {
      if (offset + size > bytes.length) throw short(bytes.length, offset);
      return parse(bytes, view, offset, bytes.length) as Record<string, FieldValue>;
    },
  };
  cache.set(fields, compiled);
  return compiled;
}

/** A DataView over exactly these bytes. */
export const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** binary-parser's context bookkeeping: parsers that refer to no $parent/$root work the same without it. */
const CONTEXT_LINES = ['vars.$parent = null;', 'vars.$root = vars;', 'delete vars.$parent;', 'delete vars.$root;'];
/** Its prologue, a DataView and offset 0 per call: they become parameters, so one view serves a whole table. */
const PROLOGUE = ['var dataView = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);', 'var offset = 0;'];

/** A compiled parser: reads `buffer` (through `dataView`, over the same bytes) from `offset`, up to `end` at most. */
type ParseFn = (buffer: Uint8Array, dataView: DataView, offset: number, end: number) => unknown;

/**
 * The parser of signature `sig`: precompiled with the bundle (parsers-precompiled.ts),
 * or made from `parser` here, once.
 *
 * Compile a parser once, from the code binary-parser generates, without its
 * context bookkeeping: the generated function adds $parent and $root to every
 * result and deletes them before returning it, which turns each result into a
 * slow dictionary-mode object that every later field read pays for (a third of
 * the decode time, and more in the validator's checks). Our parsers use no
 * context variable; if binary-parser ever generates other bookkeeping, this
 * throws on first use rather than decode differently.
 *
 * Its prologue (a DataView over the bytes given, offset 0) becomes the
 * function's parameters, and the end of the input (`buffer.length`, read by
 * readUntil 'eof') the `end` parameter: the decoder makes one DataView per
 * table and hands each parser its offset, where a subarray and a DataView per
 * structure, device scope and path were a third of the decoding time.
 */
function compile(sig: string, parser: () => Parser): ParseFn {
  const pre = PRECOMPILED.get(sig);
  if (pre)
    return pre.make(
      pre.imports.map((n) => IMPORTS[n]),
      TextDecoder,
    ) as ParseFn;
  const p = parser();
  const ctx = (p as unknown as { getContext(importPath: string): { code: string; imports: unknown[] } }).getContext('imports');
  let code = ctx.code;
  for (const line of [...CONTEXT_LINES, ...PROLOGUE]) {
    if (!code.includes(line)) throw new Error(`binary-parser: generated code without "${line}"`);
    code = code.split(line).join('');
  }
  if (code.includes('$parent') || code.includes('$root')) throw new Error('binary-parser: generated code uses context variables');
  code = code.split('buffer.length').join('end');
  // a field read as a view of its bytes then formatted: the formatter is given the table and the field's range
  code = code.replace(
    FORMATTED,
    (_, key: string, size: string, at: string) => `vars.${key} = imports[${at}](buffer, offset, offset + ${size});\noffset += ${size};`,
  );
  if (/\bbuffer\b(?!, offset, offset \+ \d+\))/.test(code))
    throw new Error('binary-parser: generated code reads its buffer other than by a formatter of one field');
  code = literalResult(code);
  const make = new Function('imports', 'TextDecoder', `return function (buffer, dataView, offset, end) { ${code} };`) as ParserFactory;
  parserSources.set(sig, { signature: sig, code, imports: ctx.imports.map(importName) });
  return make(ctx.imports, TextDecoder) as ParseFn;
}

/** binary-parser's code for a field read as a view of its bytes, then given to its formatter (import `at`). */
const FORMATTED = /vars\.(\w+) = buffer\.subarray\(offset, offset \+ (\d+)\);\noffset \+= \2;\nvars\.\1 = imports\[(\d+)\]\.call\(vars, vars\.\1\);/g;

/**
 * The result object made with every key the code assigns, in that order: binary-parser starts it empty and
 * adds each key, and past four V8 moves the keys to a second, growing store (a device scope's six fields:
 * 96 bytes instead of 72, and a slower read of each). Code that assigns anything but the result's own keys
 * is left as it is.
 */
function literalResult(code: string): string {
  const start = 'var vars = {};';
  if (code.split(start).length !== 2 || /\bvars\s*=|\$tmp|\bvars\[/.test(code.split(start).join(''))) return code;
  const keys = [...new Set([...code.matchAll(/\bvars\.(\w+) =/g)].map((m) => m[1]!))];
  return code.replace(start, `var vars = { ${keys.map((k) => `${k}: undefined`).join(', ')} };`);
}

/** fieldParser(PATH_FIELDS), made on first use: parsePathAt runs once per device scope. */
let pathParser: Compiled | undefined;

/**
 * PCI Path pairs (PATH_FIELDS repeated to the end of the entry), from `start` to `end` of a table read through `view`:
 * each pair by the parser of PATH_FIELDS, into an array of exactly their number (an array parser's result
 * wraps a list grown by push, some 150 bytes more per device scope than its one or two pairs need).
 */
export function parsePathAt(bytes: Uint8Array, view: DataView, start: number, end: number): { device: number; function: number }[] {
  const entry = (pathParser ??= fieldParser(PATH_FIELDS));
  const n = Math.max(0, Math.floor((end - start) / PATH_ENTRY_SIZE));
  const out = new Array<{ device: number; function: number }>(n);
  for (let i = 0; i < n; i++) out[i] = entry.parseAt(bytes, view, start + i * PATH_ENTRY_SIZE) as { device: number; function: number };
  return out;
}

/** PCI Path pairs of a path's bytes. */
export function parsePath(bytes: Uint8Array): { device: number; function: number }[] {
  return parsePathAt(bytes, viewOf(bytes), 0, bytes.length);
}
