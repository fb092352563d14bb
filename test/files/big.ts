// Generated tables for the size and scale tests: a valid DMAR header and `n`
// DRHDs of 16 bytes (no device scope), each with its own Register Base Address.
export function drhdTable(n: number, opts: { baseOffset?: number } = {}): Buffer {
  const b = Buffer.alloc(48 + n * 16);
  b.write('DMAR', 0, 'latin1');
  b.writeUInt32LE(b.length, 4);
  b[8] = 1;
  b.write('OEMID ', 10, 'latin1');
  b.write('OEMTABLE', 16, 'latin1');
  b[36] = 38; // Host Address Width: 39 bits
  b[37] = 1; // INTR_REMAP
  for (let i = 0; i < n; i++) {
    const o = 48 + i * 16;
    b.writeUInt16LE(0, o);
    b.writeUInt16LE(16, o + 2);
    b.writeBigUInt64LE(BigInt(0xfed00000 + (opts.baseOffset ?? 0) + i * 0x1000), o + 8);
  }
  let sum = 0;
  for (const x of b) sum = (sum + x) & 0xff;
  b[9] = (256 - sum) & 0xff;
  return b;
}
