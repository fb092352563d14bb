/** Numbers and bytes in hex, as messages, reports and the JSON document write them. */

/** `0x` and lower-case digits, at least `digits` of them. */
export function hex(n: number | bigint, digits = 0): string {
  return '0x' + n.toString(16).padStart(digits, '0');
}

/** Bytes as lower-case hex digits without separators (`0a1b`). */
export function bytesHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
