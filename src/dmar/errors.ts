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
