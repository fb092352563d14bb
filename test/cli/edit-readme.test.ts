// The manual's editing example (docs/edit.md) is real output: every `$ command` in it is run
// again, in order, in a scratch directory, and must print what the README shows.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { expectTranscript } from '../docs/pages.js';
import { ROOT } from '../helpers.js';

const readme = readFileSync(join(ROOT, 'docs', 'edit.md'), 'utf8');
const start = readme.indexOf('## Worked example: from QEMU');
const end = readme.indexOf('## JSON', start);
const example = readme.slice(start, end);

interface Step {
  command: string;
  expected: string;
}

function steps(): Step[] {
  const out: Step[] = [];
  for (const block of example.matchAll(/```\n([\s\S]*?)```/g)) {
    let cur: Step | undefined;
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('$ ')) {
        cur = { command: line.slice(2), expected: '' };
        out.push(cur);
      } else if (cur) {
        cur.expected += line + '\n';
      }
    }
  }
  for (const s of out) s.expected = s.expected.replace(/\n+$/, '');
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'dmar-readme-edit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the worked example in the manual is what the commands print', () => {
  const all = steps();
  expect(all.length).toBeGreaterThanOrEqual(15);
  // One shell for the whole example, so files carry over; `echo $?` reads the status of the command before it.
  expectTranscript(all, work, (out) => out.replace(/\n+$/, ''));
});
