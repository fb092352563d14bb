/**
 * What a command fails for: its input (a defect at a byte offset, a file that
 * cannot be read), its command line, or its output. The CLI prints each in one
 * line and exits 2.
 */
import { hex, hexDigits } from '../acpi/hex.js';
export type FailureKind = 'input' | 'usage' | 'output';

export interface DmarErrorOptions {
  /** Byte offset in the table (or the input text) of the defect, when there is one. */
  offset?: number;
  /** Stable ID of the defect (the validator's check ID), when it has one. */
  code?: string;
  /** The file or source the failure is about, when known. */
  file?: string;
  kind?: FailureKind;
  /** The errno code when the file system refused (ENOENT, EACCES, ...). */
  errno?: string;
  /** The structure (0-based index in the table) and device scope (0-based in it) the defect is in, when the model is what is wrong. */
  structure?: number;
  scope?: number;
}

/** The one error type of dmar: a failure with, where known, the file and byte offset it is about. */
export class DmarError extends Error {
  readonly offset?: number;
  readonly code?: string;
  file?: string;
  readonly kind: FailureKind;
  readonly errno?: string;
  readonly structure?: number;
  readonly scope?: number;

  constructor(message: string, opts: DmarErrorOptions = {}) {
    super(message);
    this.name = 'DmarError';
    this.offset = opts.offset;
    this.code = opts.code;
    this.file = opts.file;
    this.kind = opts.kind ?? 'input';
    this.errno = opts.errno;
    this.structure = opts.structure;
    this.scope = opts.scope;
  }

  /** One line: `file: offset 0x.. (..): message`. */
  oneLine(): string {
    return locatedLine({ file: this.file, offset: this.offset, message: this.message });
  }
}

/**
 * The one line that places a failure or finding: `file: offset 0xHEX (DEC): message (ID)`,
 * each part left out when unknown. `decimal: false` leaves out (DEC).
 */
export function locatedLine(p: { file?: string; offset?: number | null; message: string; id?: string | null }, opts: { decimal?: boolean } = {}): string {
  const off = p.offset ?? undefined;
  const where = off === undefined ? '' : `offset ${hex(off)}${opts.decimal === false ? '' : ` (${off})`}: `;
  return `${p.file ? `${p.file}: ` : ''}${where}${p.message}${p.id ? ` (${p.id})` : ''}`;
}

/** Run `fn`; a failure of its input that it throws naming no file is said to be about `file`. */
export function naming<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DmarError && e.kind === 'input') e.file ??= file;
    throw e;
  }
}

/** How much of an input value a message echoes. */
export const ECHO_LIMIT = 40;

/**
 * Input text echoed in a one-line message: quoted, cut to `max` characters (the
 * full length said), every control or non-ASCII character escaped as \uXXXX.
 */
export function excerpt(s: string, max = ECHO_LIMIT): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  const q = JSON.stringify(cut).replace(/[\u007f-\uffff]/g, (c) => '\\u' + hexDigits(c.charCodeAt(0), 4));
  return s.length > max ? `${q.slice(0, -1)}..." (${s.length} characters)` : q;
}

/** A JSON value named in a message without serialising it (it may be huge or deeply nested). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return excerpt(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'nothing';
  // a number or boolean as it was written, not quoted as if it were a string
  const text = String(v);
  return text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}... (${text.length} characters)` : text;
}
