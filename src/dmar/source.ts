/** Source text for `dmar encode`: the JSON document or ACPICA data-table source, told apart by content. */
import { encodeDmar, type EncodeOptions } from './encode.js';
import { DmarError, excerpt, naming } from './errors.js';
import { iaslLine, parseIasl } from './codec/iasl.js';
import { fromJson } from './codec/json.js';
import type { DmarTable } from './model.js';
import { inputText } from '../acpi/escape.js';

/**
 * Bounds on a JSON document, checked by one linear scan before JSON.parse: a
 * real document nests 6 levels and its longest number has a few digits (64-bit
 * values are "0x..." strings).
 */
export const JSON_LIMITS = { depth: 64, numberLength: 32 } as const;

/** Characters of a JSON number literal after its first: digits, e E + - . */
const NUMBER_CHAR = new Set([...'0123456789eE+-.'].map((c) => c.charCodeAt(0)));

const jsonError = (line: number, msg: string) => new DmarError(`line ${line}: ${msg}`, { code: 'DMAR-JSON' });

/**
 * Refuse what JSON.parse would turn into a stack overflow or a silent
 * change: nesting deeper than JSON_LIMITS.depth, a number literal longer than
 * JSON_LIMITS.numberLength, numbers a double cannot hold exactly (1e309
 * would become Infinity, then null; 2^64 would lose its low bits), and a key given
 * twice in one object (JSON.parse keeps the last).
 */
export function checkJsonBounds(text: string): void {
  let depth = 0;
  let line = 1;
  // the keys of each open object (undefined for an array): a key given twice would silently take the last value
  const keys: (Set<string> | undefined)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) line++;
    else if (c === 0x22) {
      // a string: skip to its closing quote (JSON.parse reports what is wrong inside)
      const start = i;
      const startLine = line;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x0a) line++;
      }
      const open = keys[keys.length - 1];
      if (open) {
        let j = i + 1;
        while (j < text.length && /\s/.test(text[j]!)) j++;
        if (text.charCodeAt(j) === 0x3a) {
          let key = text.slice(start + 1, i);
          // compared as JSON.parse reads it: "hostAddress\u0057idth" is hostAddressWidth
          if (key.includes('\\')) {
            try {
              key = JSON.parse(`"${key}"`) as string;
            } catch {
              // a bad escape: JSON.parse of the whole document says where
            }
          }
          if (open.has(key)) throw jsonError(startLine, `key ${excerpt(key)} given twice in one object`);
          open.add(key);
        }
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > JSON_LIMITS.depth) throw jsonError(line, `nested deeper than ${JSON_LIMITS.depth} levels`);
      keys.push(c === 0x7b ? new Set() : undefined);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      keys.pop();
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && NUMBER_CHAR.has(text.charCodeAt(j))) j++;
      const lit = text.slice(i, j);
      if (lit.length > JSON_LIMITS.numberLength) {
        throw jsonError(line, `number ${excerpt(lit, 20)} is longer than ${JSON_LIMITS.numberLength} characters`);
      }
      const n = Number(lit);
      if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) {
        throw jsonError(line, `number ${lit} is out of range (write 64-bit values as "0x..." strings)`);
      }
      // every number of a table is an integer: 37.99999999999999999 would be read as 38, 1e-400 as 0
      const exact = /[.eE]/.test(lit) ? exactInteger(lit) : undefined;
      if (/[.eE]/.test(lit) && (exact === undefined || !Number.isInteger(n) || exact !== BigInt(n))) {
        throw jsonError(line, `number ${lit} is not an integer (every value of a table is)`);
      }
      i = j - 1;
    }
  }
}

/** The integer a number literal writes exactly; undefined when it has a fraction (37.99999999999999999, 1e-400). */
function exactInteger(lit: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(lit);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  let digits = m[2]! + frac;
  if (!/[1-9]/.test(digits)) return 0n;
  const scale = Number(m[4] ?? 0) - frac.length;
  if (scale < 0) {
    if (/[1-9]/.test(digits.slice(scale))) return undefined;
    digits = digits.slice(0, scale);
  } else digits += '0'.repeat(scale); // a safe integer: scale is small
  return BigInt(m[1]! + digits);
}

/** V8's JSON.parse message, kept to one short ASCII line (it quotes some of the input). */
function parseMessage(e: unknown): string {
  const msg = (e as Error).message.replace(/^JSON\.parse: /, '').replace(/[^\x20-\x7e]/g, '?');
  return msg.length > 100 ? `${msg.slice(0, 100)}...` : msg;
}

/**
 * The table model of source text (JSON or iasl, told apart by content).
 * `maxBytes`: the largest table the source may describe (iasl source can name
 * far more bytes than it holds; see parseIasl); larger is refused.
 */
export function parseSourceText(text: string, opts: { maxBytes?: number } = {}): DmarTable {
  const body = text.replace(/^\uFEFF/, '');
  if (/^\s*[{[]/.test(body)) {
    checkJsonBounds(body);
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (e) {
      const pos = /position (\d+)/.exec((e as Error).message);
      const line = pos ? body.slice(0, Number(pos[1])).split('\n').length : undefined;
      throw new DmarError(`${line ? `line ${line}: ` : ''}invalid JSON: ${parseMessage(e)}`, { code: 'DMAR-JSON' });
    }
    return fromJson(doc);
  }
  if (body.includes('\0')) throw new DmarError('binary data: dmar encode reads JSON or iasl source (dmar decode reads binary tables)', { code: 'DMAR-SOURCE' });
  return parseIasl(body, opts);
}

/**
 * The table that source text (JSON or iasl, as `dmar encode` reads it) describes,
 * encoded as `dmar encode` does (lengths and checksum computed); errors name `name`.
 */
export function compileSource(data: Uint8Array, name: string, maxBytes?: number): Uint8Array {
  return naming(name, () => encodeSource(parseSourceText(inputText(data), { maxBytes })));
}

/**
 * encodeDmar for a table read from source text: what the encoder finds wrong in a structure or device scope
 * (a path too long for a scope's Length, a character over one byte) is placed on its iasl source line.
 */
export function encodeSource(t: DmarTable, opts?: EncodeOptions): Uint8Array {
  try {
    return encodeDmar(t, opts);
  } catch (e) {
    const line = e instanceof DmarError && e.structure !== undefined ? iaslLine(t, e.structure, e.scope) : undefined;
    if (line === undefined) throw e;
    const err = e as DmarError;
    throw new DmarError(`line ${line}: ${err.message}`, { code: err.code, structure: err.structure, scope: err.scope });
  }
}
