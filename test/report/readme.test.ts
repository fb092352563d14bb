// The manual's report section: the map block is what `dmar map` prints now, the picture exists.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { section as docSection } from '../docs/pages.js';
import { dmar, ROOT } from '../helpers.js';

const section = docSection('report');

test("the map block is the command's output", () => {
  const m = /^\$ npx dmar (map [^\n]*)\n([\s\S]*?)^```$/m.exec(section)!;
  const r = dmar(m[1]!.split(' '));
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(m[2]);
});

test('the report command runs as shown, and the screenshot is committed', () => {
  const img = /!\[[^\]]*\]\(([^)]+\.png)\)/.exec(section)!;
  expect(existsSync(join(ROOT, 'docs', img[1]!))).toBe(true);
  const cmd = /^\$ npx dmar (report [^\n]*) -o report\.html$/m.exec(section)!;
  const r = dmar(cmd[1]!.split(' '));
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^<!doctype html>/);
});
