// Generated tables for the size and scale tests: a valid DMAR header, then
// `n` structures of `size` bytes each that `fill` writes.
function table(n: number, size: number, fill: (b: Buffer, offset: number, i: number) => void): Buffer {
  const b = Buffer.alloc(48 + n * size);
  b.write('DMAR', 0, 'latin1');
  b.writeUInt32LE(b.length, 4);
  b[8] = 1;
  b.write('OEMID ', 10, 'latin1');
  b.write('OEMTABLE', 16, 'latin1');
  b[36] = 38; // Host Address Width: 39 bits
  b[37] = 1; // INTR_REMAP
  for (let i = 0; i < n; i++) {
    b.writeUInt16LE(size, 48 + i * size + 2);
    fill(b, 48 + i * size, i);
  }
  let sum = 0;
  for (const x of b) sum = (sum + x) & 0xff;
  b[9] = (256 - sum) & 0xff;
  return b;
}

/** `n` DRHDs of 16 bytes (no device scope), each with its own Register Base Address. */
export function drhdTable(n: number, opts: { baseOffset?: number } = {}): Buffer {
  return table(n, 16, (b, o, i) => b.writeBigUInt64LE(BigInt(0xfed00000 + (opts.baseOffset ?? 0) + i * 0x1000), o + 8));
}

/** `n` ATSRs of 8 bytes (type 2, no device scope: one warning each), segments 0, 1, 2... */
export function atsrTable(n: number): Buffer {
  return table(n, 8, (b, o, i) => {
    b.writeUInt16LE(2, o);
    b.writeUInt16LE(i & 0xffff, o + 6);
  });
}
