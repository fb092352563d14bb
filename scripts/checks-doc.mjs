#!/usr/bin/env node
// Write docs/checks.md from the validator's catalogue (build first: npx tsc -p .).
// Usage: node scripts/checks-doc.mjs [--check]   (--check: fail if docs/checks.md is stale)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogueMarkdown } from '../dist/src/dmar/validate/catalogue.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'checks.md');
const text = catalogueMarkdown();
let old;
try {
  old = readFileSync(out, 'utf8');
} catch {
  old = undefined;
}
if (process.argv.includes('--check')) {
  if (old !== text) {
    console.error(`stale: ${out}`);
    process.exit(1);
  }
} else if (old !== text) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
