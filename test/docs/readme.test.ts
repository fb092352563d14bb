// The README is the front door: one screen, the two set-up commands, and a tour whose output is
// what the commands print now (every `$ ` line is run again, in order, in one shell).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { dmar, ROOT } from '../helpers.js';
import { docText, expectTranscript } from './pages.js';

const readme = docText('README.md');

/** The first fenced block after the heading `## TITLE`. */
function block(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `## ${title}`).toBeGreaterThan(0);
  return /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(start))![1]!;
}

interface Step {
  command: string;
  expected: string;
}

/** `$ command` lines, each followed by what it prints. */
function transcript(text: string): Step[] {
  const out: Step[] = [];
  for (const line of text.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('$ ')) out.push({ command: line.slice(2), expected: '' });
    else out.at(-1)!.expected += line + '\n';
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'dmar-readme-tour-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the README is one screen, and links to the manual', () => {
  expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(110);
  expect(readme).toContain('](docs/README.md)');
});

test('set up: exactly two commands, the main job on a bundled fixture and npm test', () => {
  const lines = block('Set up (in the clone)').trim().split('\n');
  expect(lines).toHaveLength(2);
  const m = /^npm ci && npx dmar (validate fixtures\/\S+)$/.exec(lines[0]!)!;
  expect(m).not.toBeNull();
  const r = dmar(m[1]!.split(' '));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(lines[1]).toBe('npm test');
  expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.test).toBe('vitest run');
});

test('the tour is what the commands print, stderr and exit status included', () => {
  const steps = transcript(block('A tour'));
  // six dmar commands, and `echo $?` for the status of the one before it
  expect(steps.filter((s) => s.command.includes('npx dmar '))).toHaveLength(6);
  expectTranscript(steps, work);
});

test('exit status: 0, 1 and 2 as the README states them, and as --help lists them', () => {
  const text = readme.slice(readme.indexOf('\n## Exit status\n'), readme.indexOf('\n## In CI\n'));
  expect(text).toMatch(/\*\*0\*\* success; \*\*1\*\* validation findings/);
  expect(text).toMatch(/\*\*2\*\* bad input \(one line naming the file and\s+byte offset, never a stack trace\) or usage/);
  const help = dmar(['--help']).stdout;
  expect(help.slice(help.indexOf('Exit status:')).match(/^ {2}(\d) /gm)).toEqual(['  0 ', '  1 ', '  2 ']);
  expect(dmar(['validate', 'fixtures/server-2s.bin']).status).toBe(0);
  expect(dmar(['validate', 'fixtures/invalid/DMAR-RMRR-ALIGN.bin']).status).toBe(1);
  const bad = dmar(['decode', 'fixtures/invalid/DMAR-HDR-SIGNATURE.bin']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/^dmar: fixtures\/invalid\/DMAR-HDR-SIGNATURE\.bin: offset 0x0 \(0\): [^\n]+\n$/);
});
