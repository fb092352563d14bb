// The documentation as the tests read it: README.md (the front door) and docs/*.md (the manual).
// A part of the manual is found by its `<!-- section: NAME -->` marker, wherever it lives.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

/** README.md and every docs/*.md, as paths relative to the project root. */
export function docPages(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
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
