/** Errors lowbit throws besides the built-in TypeError and RangeError. */

/** A failure with a stable machine-readable `code` (corrupt files, native failures). */
export class LowbitError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'LowbitError';
    this.code = code;
  }
}
