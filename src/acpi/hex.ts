/** Numbers and bytes in hex, as messages, reports and the JSON document write them. */

/** `0x` and lower-case digits, at least `digits` of them. */
export function hex(n: number | bigint, digits = 0): string {
  return '0x' + hexDigits(n, digits);
}

/** Lower-case hex digits without `0x`, at least `digits` of them (`0a`, `00:1f.0`, a hex dump's offsets). */
export function hexDigits(n: number | bigint, digits = 0): string {
  return n.toString(16).padStart(digits, '0');
}

/** Bytes as lower-case hex digits without separators (`0a1b`). */
export function bytesHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
