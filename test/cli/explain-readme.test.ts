// The manual's explain section shows real output: each `$ npx dmar ...` block is what the command prints now.
// It runs in a scratch directory holding the Surface Pro 3's table from the corpus and a link to fixtures/.
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { section as docSection } from '../docs/pages.js';
import { CORPUS, dmar, FIXTURES, HAVE_CORPUS } from '../helpers.js';

const section = docSection('explain');
const blocks = [...section.matchAll(/^\$ npx dmar ([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ args: m[1]!.split(' '), output: m[2]! }));

const dir = mkdtempSync(join(tmpdir(), 'dmar-explain-readme-'));
symlinkSync(FIXTURES, join(dir, 'fixtures'));
if (HAVE_CORPUS) copyFileSync(join(CORPUS, '074C5C2E091B.dmar'), join(dir, '074C5C2E091B.dmar'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the section shows explain and validate --dmesg', () => {
  expect(section.startsWith('<!-- section: explain -->')).toBe(true);
  expect(blocks.map((b) => b.args[0])).toEqual(['explain', 'validate']);
});

test.each(blocks.map((b) => [b.args.join(' '), b]))('dmar %s', (_, b) => {
  if (b.args.includes('074C5C2E091B.dmar') && !HAVE_CORPUS) return;
  const r = dmar(b.args, { cwd: dir });
  expect(r.stdout).toBe(b.output);
  expect(r.status).toBe(b.args[0] === 'validate' ? 1 : 0);
});
