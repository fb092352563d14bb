/** A defect in the input, with the byte offset it was found at. */
export class DmarError extends Error {
  constructor(
    message: string,
    /** Byte offset in the table (or the input text) of the defect. */
    readonly offset: number,
    /** Stable ID of the defect (the validator's check ID). */
    readonly code: string = 'DMAR-INPUT',
    /** The file or source the input came from, when known. */
    public file?: string,
  ) {
    super(message);
    this.name = 'DmarError';
  }

  /** One line: `file: offset 0x..: message`. */
  oneLine(): string {
    const where = this.offset >= 0 ? `offset 0x${this.offset.toString(16)} (${this.offset}): ` : '';
    return `${this.file ? this.file + ': ' : ''}${where}${this.message}`;
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
  const q = JSON.stringify(cut).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return s.length > max ? `${q.slice(0, -1)}..." (${s.length} characters)` : q;
}

/** A JSON value named in a message without serialising it (it may be huge or deeply nested). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return excerpt(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'nothing';
  return excerpt(String(v));
}
