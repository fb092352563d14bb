// The manual's machine section shows real output: each `$ [VAR=value] npx dmar ...` block is what the command prints now.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { section as docSection } from '../docs/pages.js';
import { dmar } from '../helpers.js';

const section = docSection('machine');
const blocks = [...section.matchAll(/^\$ ((?:\w+=\S+ )*)npx dmar ([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
  env: Object.fromEntries(
    m[1]!
      .trim()
      .split(' ')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  ),
  args: m[2]!.split(' '),
  output: m[3]!,
}));

test('the section shows capture, validate --machine and topology', () => {
  expect(blocks.map((b) => b.args[0])).toEqual(['capture', 'validate', 'topology']);
});

test.each(blocks.map((b) => [b.args.join(' '), b]))('dmar %s', (_, b) => {
  const out = b.args[0] === 'capture' ? b.args[b.args.indexOf('-o') + 1]! : undefined;
  if (out) rmSync(out, { recursive: true, force: true });
  try {
    const r = dmar(b.args, { env: b.env });
    expect(r.stdout).toBe(b.output);
    expect(r.status).toBe(b.args[0] === 'validate' ? 1 : 0);
    if (out) expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  } finally {
    if (out) rmSync(out, { recursive: true, force: true });
  }
});
