// Interoperability with a real ACPICA iasl (Debian's acpica-tools 20200925, installed by .ci/run, or
// whichever iasl is first on PATH: the source dialect follows its version, and every run has a timeout).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeDmar } from '../../../src/dmar/decode.js';
import { encodeDmar } from '../../../src/dmar/encode.js';
import { formatIasl } from '../../../src/dmar/codec/iasl.js';
import { parseSourceText } from '../../../src/dmar/source.js';
import { corpusFiles, dmar, FIXTURES, HAVE_CORPUS } from '../../helpers.js';
import { findIasl, runIasl } from '../../iasl.js';

const found = findIasl();
const iaslVersion = found.version;
/** The dialect this iasl compiles: 2020 for 20200925, current for newer releases. */
const dialect = found.dialect ?? '2020';
// CI installs acpica-tools: there a missing iasl is a failure, not a skip
const HAVE_IASL = iaslVersion !== undefined || process.env.CI === 'true';
if (!HAVE_IASL) console.warn(`note: ${found.problem} (apt-get install acpica-tools): the iasl interop tests are skipped`);

const work = mkdtempSync(join(tmpdir(), 'dmar-iasl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function iasl(args: string[], cwd: string) {
  const r = runIasl(args, cwd);
  if (r.error) throw new Error(`iasl ${args.join(' ')}: ${r.error.message}`);
  return r;
}

/** iasl always writes its own Asl Compiler ID and Revision, and so another checksum. */
function withoutCreator(b: Uint8Array): Buffer {
  const c = Buffer.from(b);
  c.fill(0, 28, 36);
  c[9] = 0;
  return c;
}

const corpus = corpusFiles();
// SATC and SIDP (types 5, 6) came to ACPICA after 20200925
const isSocType = (f: string) => dialect === '2020' && decodeDmar(readFileSync(f)).table.structures.some((s) => s.type === 5 || s.type === 6);
const anddPadded = (f: string) => decodeDmar(readFileSync(f)).table.structures.some((s) => s.type === 4 && s.trailing?.length);

describe.skipIf(!HAVE_IASL)(`iasl ${iaslVersion ?? '(missing)'}`, () => {
  test(`reports a release, whose source dialect (${dialect}) the tests write`, () => {
    expect(iaslVersion).toMatch(/^\d{8}$/);
    expect(dialect).toBe(Number(iaslVersion) <= 20200925 ? '2020' : 'current');
  });

  describe.skipIf(!HAVE_CORPUS)('on the corpus', () => {
    const known = corpus.filter((f) => !isSocType(f));
    const soc = corpus.filter(isSocType);

    test.runIf(dialect === '2020')('four tables hold SATC or SIDP, which iasl 20200925 predates', () => {
      expect(soc.length).toBe(4);
    });

    test.each(known.map((f) => [basename(f), f]))(`%s: our ${dialect}-dialect source compiles with iasl to the same table`, (id, f) => {
      const dir = mkdtempSync(join(work, 'c-'));
      const bytes = readFileSync(f);
      writeFileSync(join(dir, 't.dsl'), formatIasl(decodeDmar(bytes).table, { dialect }).text);
      const r = iasl(['t.dsl'], dir);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const out = readFileSync(join(dir, 't.aml'));
      if (anddPadded(f)) {
        // iasl cannot express the padding after an ANDD name; everything else must agree
        const a = decodeDmar(out).table;
        const b = decodeDmar(bytes).table;
        for (const s of b.structures) if (s.type === 4) delete s.trailing;
        expect(withoutCreator(encodeDmar(a))).toEqual(withoutCreator(encodeDmar(b)));
      } else {
        expect(withoutCreator(out)).toEqual(withoutCreator(bytes));
      }
      const sum = out.reduce((a, x) => a + x, 0) & 0xff;
      expect(sum).toBe(0);
      void id;
    });

    test.each(known.map((f) => [basename(f), f]))('%s: iasl -d output encodes back to the identical bytes', (_, f) => {
      const dir = mkdtempSync(join(work, 'd-'));
      copyFileSync(f, join(dir, 't.dat'));
      const r = iasl(['-d', 't.dat'], dir);
      expect(r.status).toBe(0);
      const src = readFileSync(join(dir, 't.dsl'), 'latin1');
      expect(Buffer.from(encodeDmar(parseSourceText(src))).equals(readFileSync(f))).toBe(true);
    });

    test.each(soc.map((f) => [basename(f), f]))('%s: iasl 20200925 fails on SATC/SIDP where dmar round-trips', (_, f) => {
      const dir = mkdtempSync(join(work, 's-'));
      const bytes = readFileSync(f);
      const src = formatIasl(decodeDmar(bytes).table, { dialect: '2020' });
      expect(src.warnings.join('\n')).toMatch(
        /SATC #1 \(type 5\) .* unknown to iasl before 20220331|SIDP #1 \(type 6\) .* known only to iasl 20250404 and later/,
      );
      writeFileSync(join(dir, 't.dsl'), src.text);
      const r = iasl(['t.dsl'], dir);
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/Unknown subtable type|Invalid/i);
      // the disassembler gives up on them too
      copyFileSync(f, join(dir, 't.dat'));
      iasl(['-d', 't.dat'], dir);
      expect(readFileSync(join(dir, 't.dsl'), 'latin1')).toMatch(/Unknown DMAR subtable type 0x[56]/);
      // and dmar encode says so of that output, on that line (it said 'expected "Field Name : value"')
      const dsl = readFileSync(join(dir, 't.dsl'), 'latin1');
      const at = dsl.split('\n').findIndex((l) => /Unknown DMAR subtable type/.test(l)) + 1;
      expect(() => parseSourceText(dsl)).toThrow(
        new RegExp(
          `^line ${at}: iasl could not decode DMAR structure type [56] \\(a type that iasl does not know: newer than it, or in no ACPICA release\\): decode the binary with dmar instead$`,
        ),
      );
      // while dmar's own source round-trips
      expect(Buffer.from(encodeDmar(parseSourceText(src.text))).equals(bytes)).toBe(true);
    });
  });

  test('an iasl -T DMAR template encodes with dmar to the same bytes iasl compiles it to (but the creator)', () => {
    const dir = mkdtempSync(join(work, 't-'));
    iasl(['-T', 'DMAR'], dir);
    const src = readFileSync(join(dir, 'dmar.asl'), 'latin1');
    expect(iasl(['dmar.asl'], dir).status).toBe(0);
    const compiled = readFileSync(join(dir, 'dmar.aml'));
    const ours = encodeDmar(parseSourceText(src));
    expect(withoutCreator(ours)).toEqual(withoutCreator(compiled));
  });

  // decode.md and decode --help: an iasl up to 20241212 given the current dialect's names never finishes (it
  // loops); the one answer to it is --iasl-dialect 2020, which compiles the same table at once
  test.runIf(dialect === '2020')(
    'the current dialect makes this iasl loop (the documented reason for --iasl-dialect 2020): no table after 5 s',
    () => {
      const dir = mkdtempSync(join(work, 'd-'));
      const bin = join(FIXTURES, 'qemu-q35-ir.bin');
      writeFileSync(join(dir, 'q.dsl'), dmar(['decode', bin, '--format', 'iasl']).stdout);
      const r = runIasl(['q.dsl'], dir, { timeout: 5000 });
      expect((r.error as NodeJS.ErrnoException | undefined)?.code).toBe('ETIMEDOUT');
      writeFileSync(join(dir, 'q.dsl'), dmar(['decode', bin, '--format', 'iasl', '--iasl-dialect', '2020']).stdout);
      expect(iasl(['q.dsl'], dir).status).toBe(0);
    },
    20_000,
  );

  test('the proposed descriptor: dmar warns that iasl cannot compile it, iasl indeed fails, dmar encode reads it', () => {
    const dir = mkdtempSync(join(work, 'v-'));
    const bin = join(FIXTURES, 'qemu-virt-descriptor.bin');
    const r = dmar(['decode', bin, '--format', 'iasl', '--iasl-dialect', dialect]);
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/proposal that no iasl knows/);
    writeFileSync(join(dir, 'v.dsl'), r.stdout);
    expect(iasl(['v.dsl'], dir).status).not.toBe(0);
    const e = dmar(['encode', join(dir, 'v.dsl'), '-o', join(dir, 'v.bin')]);
    expect(e.status).toBe(0);
    expect(readFileSync(join(dir, 'v.bin')).equals(readFileSync(bin))).toBe(true);
  });
});
