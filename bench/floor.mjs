#!/usr/bin/env node
// The floor `dmar validate DIR` is measured against: a plain Node script that
// only lists a directory, reads each file, checks its ACPI checksum and walks
// its DMAR structure headers (Type, Length) and device scope headers. No
// decoding, no checks, no report beyond one line. Usage: node bench/floor.mjs DIR
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/floor.mjs DIR');
  process.exit(2);
}
let tables = 0,
  bad = 0,
  structures = 0,
  scopes = 0;
for (const name of readdirSync(dir).sort()) {
  const b = readFileSync(join(dir, name));
  if (b.length < 48 || b.toString('latin1', 0, 4) !== 'DMAR') {
    bad++;
    continue;
  }
  const len = Math.min(b.readUInt32LE(4), b.length);
  let sum = 0;
  for (let i = 0; i < len; i++) sum += /** @type {number} */ (b[i]);
  if (sum & 0xff) bad++;
  // structures: Type u16, Length u16; scope-bearing ones (types 0-4 but 3, and 5-6
  // besides ANDD=4, RHSA=3) carry device scopes: Type u8, Length u8 each.
  const fixed = [16, 24, 8, 20, 8, 8, 8];
  for (let o = 48; o + 4 <= len; ) {
    const t = b.readUInt16LE(o),
      l = b.readUInt16LE(o + 2);
    if (l < 4 || o + l > len) {
      bad++;
      break;
    }
    structures++;
    if (t <= 6 && t !== 3 && t !== 4) {
      for (let s = o + /** @type {number} */ (fixed[t]); s + 2 <= o + l; ) {
        const sl = /** @type {number} */ (b[s + 1]);
        if (sl < 6) break;
        scopes++;
        s += sl;
      }
    }
    o += l;
  }
  tables++;
}
console.log(`${tables} tables, ${structures} structures, ${scopes} scopes, ${bad} bad`);
