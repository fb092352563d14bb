// The README's ims section shows real output: each `$ npx dmar ims ...` block is what the command prints now.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dmar, ROOT } from '../helpers.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('<!-- section: ims -->'));
const blocks = [...section.matchAll(/^\$ npx dmar (ims[^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ args: m[1]!.split(' '), output: m[2]! }));

test('the section shows a fixture and the matrix', () => {
  expect(blocks.map((b) => b.args.slice(0, 2).join(' '))).toEqual(['ims fixtures/ims/qemu-legacy.bin', 'ims matrix']);
});

test.each(blocks.map((b) => [b.args.join(' '), b]))('dmar %s', (_, b) => {
  const r = dmar(b.args);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(b.output);
});
