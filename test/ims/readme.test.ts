// The manual's ims section shows real output: each `$ npx dmar ims ...` block is what the command prints now.
import { expect, test } from 'vitest';
import { section as docSection } from '../docs/pages.js';
import { dmar } from '../helpers.js';

const section = docSection('ims');
const blocks = [...section.matchAll(/^\$ npx dmar (ims[^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ args: m[1]!.split(' '), output: m[2]! }));

test('the section shows a capture, a fixture, a directory and the matrix', () => {
  expect(blocks.map((b) => b.args.slice(0, 2).join(' '))).toEqual([
    'ims --machine',
    'ims fixtures/ims/qemu-legacy.bin',
    'ims fixtures/ims/matrix',
    'ims matrix',
  ]);
});

test('the prose states the counts the matrix prints', () => {
  const matrix = blocks.find((b) => b.args[1] === 'matrix')!.output;
  const row = (p: string) => new RegExp(`^${p.replace(/[()]/g, '\\$&')} +(\\d+) +(\\d+) +(\\d+) +(\\d+)$`, 'm').exec(matrix)!.slice(1).map(Number);
  const [ou, , , ouLie] = row('opt-out (proposed)');
  const [iu, il, , iuLie] = row('opt-in (proposed)');
  const [fu, fl] = row('firmware-hint (proposed)');
  const [lu] = row('linux-6.2');
  const [, tl] = row('linux-6.10');
  expect(section).toContain(`\`opt-out\` is UNSAFE in ${ou} cells`);
  expect(section).toContain(`The other ${ouLie} are in the two rows where the hypervisor`);
  expect(iu).toBe(iuLie);
  expect(section).toContain(`\`opt-in\` is UNSAFE in ${iu} cells, all in those two rows`);
  expect(section).toContain(`caution with ${il} lost cells`);
  expect(section).toContain(`descriptor (${fl} lost) and believes the copied host descriptor (${fu} UNSAFE)`);
  expect(section).toContain(`(${lu} UNSAFE)`);
  expect(section).toContain(`it loses all ${tl} cells`);
});

test('the signal table gives each signal its strength', async () => {
  const { SIGNALS } = await import('../../src/ims/signals.js');
  for (const s of SIGNALS) expect(section).toMatch(new RegExp(`^\\| \`${s.name.replace('.', '\\.')}\` \\| [^\\n]*\\| ${s.strength} \\|`, 'm'));
});

test.each(blocks.map((b) => [b.args.join(' '), b]))('dmar %s', (_, b) => {
  const r = dmar(b.args);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(b.output);
});
