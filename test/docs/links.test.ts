// Every relative link of README.md and docs/*.md resolves: the file exists, and an anchor names a
// heading of the page it points at (GitHub's heading IDs). Every page of the manual links back.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from '../helpers.js';
import { docPages, docText } from './pages.js';

/** The text outside fenced code blocks (a `# comment` in a shell block is no heading, a `[x](y)` in code no link). */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** GitHub's heading IDs: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingIds(text: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose(text).matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** Link targets of a page: `[text](target)` and `![alt](target)`, inline code removed. */
function links(text: string): string[] {
  const body = prose(text).replace(/`[^`\n]*`/g, '');
  return [...body.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((m) => m[1]!);
}

test("heading IDs are GitHub's", () => {
  const ids = headingIds('# Machine context: `dmar capture`, `validate --machine`, `dmar topology`\n## JSON\n## JSON\n```\n# not a heading\n```\n');
  expect([...ids]).toEqual(['machine-context-dmar-capture-validate---machine-dmar-topology', 'json', 'json-1']);
});

test.each(docPages())('%s: every relative link resolves', (page) => {
  const bad: string[] = [];
  const all = links(docText(page));
  expect(all.length).toBeGreaterThan(0);
  for (const link of all) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
    const [path, anchor] = link.split('#') as [string, string | undefined];
    const target = path === '' ? page : normalize(join(dirname(page), decodeURIComponent(path)));
    if (target.startsWith('..') || !existsSync(join(ROOT, target))) {
      bad.push(`${link}: no such file`);
      continue;
    }
    if (anchor !== undefined) {
      if (!target.endsWith('.md') || statSync(join(ROOT, target)).isDirectory()) bad.push(`${link}: an anchor into a file that is not a page`);
      else if (!headingIds(docText(target)).has(anchor)) bad.push(`${link}: no heading #${anchor} in ${target}`);
    }
  }
  expect(bad).toEqual([]);
});

test("every page of the manual links back to the README and is linked from the manual's index", () => {
  const index = docText('docs/README.md');
  for (const page of docPages().filter((p) => p.startsWith('docs/'))) {
    expect(links(docText(page)), page).toContain('../README.md');
    if (page !== 'docs/README.md') expect(links(index), page).toContain(page.slice('docs/'.length));
  }
});

test('the README links to every page of the manual, and the manual has no page the README forgot', () => {
  const fromReadme = new Set(
    links(docText('README.md'))
      .filter((l) => l.startsWith('docs/'))
      .map((l) => l.split('#')[0]),
  );
  const pages = docPages().filter((p) => p.startsWith('docs/') && p !== 'docs/README.md' && p !== 'docs/install.md');
  expect(pages.filter((p) => !fromReadme.has(p))).toEqual([]);
});
