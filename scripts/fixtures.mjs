#!/usr/bin/env node
// Write every fixture table the project builds:
// - fixtures/invalid/<ID>.bin, one per validate check, from tools/fixtures/invalid.ts
//   (one baseline table plus a small change per check);
// - every other fixture source (fixtures/**/*.json) to the binary beside it (same
//   name, .bin). A source may carry "$patch": [{"offset": N, "hex": "..."}] to write
//   bytes the encoder would never produce, "$truncate": N to cut the file, and
//   "$keepChecksum": true to keep header.checksum as given (tools/fixtures/build.ts).
// Usage: npm run fixtures [-- --check]   (--check: fail if a binary is stale or
// fixtures/invalid/ holds a table no check has)
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFixture } from '../build/tools/fixtures/build.js';
import { INVALID_FIXTURES, invalidBytes } from '../build/tools/fixtures/invalid.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures');
const check = process.argv.includes('--check');
let stale = 0;

/** @param {string} out @param {Uint8Array} bin */
function put(out, bin) {
  let old;
  try {
    old = readFileSync(out);
  } catch {
    old = undefined;
  }
  if (old && Buffer.compare(old, Buffer.from(bin)) === 0) return;
  stale++;
  if (check) console.error(`stale: ${out}`);
  else {
    writeFileSync(out, bin);
    console.log(`wrote ${out}`);
  }
}

/** @param {string} dir */
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'machine') walk(p);
    } // fixtures/machine: captures (scripts/machine-fixtures.mjs)
    else if (name.endsWith('.json')) put(p.replace(/\.json$/, '.bin'), buildFixture(JSON.parse(readFileSync(p, 'utf8'))));
  }
}
walk(root);

const invalid = join(root, 'invalid');
for (const f of INVALID_FIXTURES) put(join(invalid, `${f.id}.bin`), invalidBytes(f));
const known = new Set(INVALID_FIXTURES.map((f) => `${f.id}.bin`));
for (const name of readdirSync(invalid).filter((n) => !known.has(n))) {
  stale++;
  if (check) console.error(`not generated: ${join(invalid, name)}`);
  else {
    rmSync(join(invalid, name));
    console.log(`removed ${join(invalid, name)}`);
  }
}
if (check && stale) process.exit(1);
