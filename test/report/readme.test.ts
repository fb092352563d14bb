// The README's report section: the map block is what `dmar map` prints now, the picture exists.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dmar, ROOT } from '../helpers.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const start = readme.indexOf('<!-- section: report -->');
const section = readme.slice(start, readme.indexOf('<!-- section:', start + 1));

test('the map block is the command\'s output', () => {
  const m = /^\$ npx dmar (map [^\n]*)\n([\s\S]*?)^```$/m.exec(section)!;
  const r = dmar(m[1]!.split(' '));
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(m[2]);
});

test('the report command runs as shown, and the screenshot is committed', () => {
  const img = /!\[[^\]]*\]\((docs\/[^)]+\.png)\)/.exec(section)!;
  expect(existsSync(join(ROOT, img[1]!))).toBe(true);
  const cmd = /^\$ npx dmar (report [^\n]*) -o report\.html$/m.exec(section)!;
  const r = dmar(cmd[1]!.split(' '));
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^<!doctype html>/);
});
