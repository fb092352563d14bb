// The documentation as the tests read it: README.md (the front door) and docs/*.md (the manual).
// A part of the manual is found by its `<!-- section: NAME -->` marker, wherever it lives.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from '../helpers.js';

/** README.md and every docs/*.md, as paths relative to the project root. */
export function docPages(): string[] {
  return [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

export function docText(page: string): string {
  return readFileSync(join(ROOT, page), 'utf8');
}

/** The text from `<!-- section: NAME -->` to the next marker or the end of its page. */
export function section(name: string): string {
  const marker = `<!-- section: ${name} -->`;
  const pages = docPages().filter((p) => docText(p).includes(marker));
  if (pages.length !== 1) throw new Error(`section ${name}: marker in ${pages.length} pages (${pages.join(', ')})`);
  const text = docText(pages[0]!);
  const start = text.indexOf(marker);
  const end = text.indexOf('<!-- section:', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

/** How the manual's transcripts call dmar: `dmar ...` and `npx dmar ...` run this clone's bin/dmar.js. */
export const SHELL_DMAR = [
  `dmar() { "${process.execPath}" "${join(ROOT, 'bin', 'dmar.js')}" "$@"; }`,
  'npx() { if [ "$1" = dmar ]; then shift; dmar "$@"; else command npx "$@"; fi; }',
].join('\n');

/**
 * Runs a transcript's commands in order in one shell in `cwd` (so files carry over), colour off;
 * `echo $?` reads the status of the command before it. Returns what each printed (stderr merged)
 * and what the shell itself wrote on stderr.
 */
export function runTranscript(commands: readonly string[], cwd: string): { outputs: string[]; stderr: string } {
  const script = [SHELL_DMAR, 'st=0'];
  commands.forEach((c, i) => {
    script.push(`echo "@@step ${i}"`, `{ ${c === 'echo $?' ? 'echo $st' : c} ; } 2>&1; st=$?`);
  });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'FORCE_COLOR') env[k] = v;
  env.NO_COLOR = '1';
  const r = spawnSync('bash', ['-c', script.join('\n')], { cwd, env, encoding: 'utf8' });
  return { outputs: r.stdout.split(/^@@step \d+\n/m).slice(1), stderr: r.stderr };
}

/**
 * Run a transcript's commands in `work` (with the project's fixtures linked in)
 * and expect each to print what the page shows, after `normalise`; nothing on
 * the shell's own stderr.
 */
export function expectTranscript(
  steps: readonly { command: string; expected: string }[],
  work: string,
  normalise: (out: string) => string = (out) => out,
): void {
  symlinkSync(join(ROOT, 'fixtures'), join(work, 'fixtures'));
  const r = runTranscript(
    steps.map((s) => s.command),
    work,
  );
  expect(r.stderr).toBe('');
  expect(r.outputs).toHaveLength(steps.length);
  steps.forEach((s, i) => {
    expect(normalise(r.outputs[i]!), `$ ${s.command}`).toBe(s.expected);
  });
}
