// docs/library.md is true: its example runs against the built package and prints what the page
// shows, and it names every export of src/index.ts (those of the schema as one group).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { ROOT } from '../helpers.js';
import { docText } from './pages.js';

const page = docText('docs/library.md');
const work = mkdtempSync(join(tmpdir(), 'dmar-library-doc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the example prints what the page shows', () => {
  const m = /```js\n([\s\S]*?)```\n\nprints[^\n]*\n\n```\n([\s\S]*?)```/.exec(page)!;
  expect(m).not.toBeNull();
  expect(m[1]).toContain("from 'dmar';");
  // `dmar` is the package's main, dist/src/index.js (built by the test setup)
  const script = m[1]!.replace("from 'dmar';", `from '${pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href}';`);
  writeFileSync(join(work, 'example.mjs'), script);
  const r = spawnSync(process.execPath, [join(work, 'example.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(m[2]);
});

// a TypeScript user meets the same example under --strict: the types dist/src/index.d.ts declares must carry it
// without a cast (toJson's document types its own keys)
test('the example type-checks as TypeScript in strict mode against the package', () => {
  const m = /```js\n([\s\S]*?)```\n\nprints/.exec(page)!;
  const project = join(work, 'ts');
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(project, 'node_modules', 'dmar'));
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));
  writeFileSync(join(project, 'example.ts'), m[1]!);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    '--strict',
    '--noEmit',
    '--pretty',
    'false',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2022',
    '--types',
    'node',
    'example.ts',
  ];
  const r = spawnSync(process.execPath, [tsc, ...args], { cwd: project, encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 60_000);

test('every export of the library is documented, and every name the table gives is exported', async () => {
  const index = await import('../../src/index.js');
  const schema = await import('../../src/dmar/schema.js');
  const own = Object.keys(index)
    .filter((k) => !(k in schema))
    .sort();
  const table = page.slice(page.indexOf('| export | what |'));
  const named = new Set<string>();
  for (const row of table.matchAll(/^\| ([^|]+) \|/gm)) for (const c of row[1]!.matchAll(/`([A-Za-z_]\w*)/g)) named.add(c[1]!);
  named.delete('export');
  expect(own.filter((k) => !named.has(k))).toEqual([]);
  expect([...named].filter((k) => !(k in index)).sort()).toEqual([]);
  expect(page).toContain('Everything `src/dmar/schema.ts` exports is exported too');
});
