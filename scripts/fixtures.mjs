#!/usr/bin/env node
// Encode every fixture source (fixtures/**/*.json) to the binary beside it
// (same name, .bin). A source may carry "$patch": [{"offset": N, "hex": "..."}]
// to write bytes the encoder would never produce (malformed tables for the
// validator); "$keepChecksum": true keeps header.checksum as given.
// Usage: npm run fixtures [-- --check]   (--check: fail if a binary is stale)
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFixture } from '../dist/src/dmar/fixture.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures');
const check = process.argv.includes('--check');
let stale = 0;
/** @param {string} dir */
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'machine') walk(p); } // fixtures/machine: captures (scripts/machine-fixtures.mjs)
    else if (name.endsWith('.json')) {
      const bin = buildFixture(JSON.parse(readFileSync(p, 'utf8')));
      const out = p.replace(/\.json$/, '.bin');
      let old;
      try { old = readFileSync(out); } catch { old = undefined; }
      if (old && Buffer.compare(old, Buffer.from(bin)) === 0) continue;
      stale++;
      if (check) console.error(`stale: ${out}`);
      else { writeFileSync(out, bin); console.log(`wrote ${out}`); }
    }
  }
}
walk(root);
if (check && stale) process.exit(1);
