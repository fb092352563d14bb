// Every real table (all bare metal): with --bare-metal, opt-in allows native IMS unless the table forbids it;
// with no evidence it refuses and says why. Library path for all 205, the CLI on a few.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { derivedFacts, gatherEvidence } from '../../src/ims/evidence.js';
import { POLICIES } from '../../src/ims/policies/index.js';
import { linux62 as linux } from '../../src/ims/policies/linux.js';
import { optIn } from '../../src/ims/policies/opt-in.js';
import { corpusFiles, dmar, HAVE_CORPUS, ROOT } from '../helpers.js';
import { spawnSync } from 'node:child_process';

const files = corpusFiles();

/** Structure types walked from the raw bytes, independently of the decoder. */
function rawTypes(b: Buffer): number[] {
  const out: number[] = [];
  for (let o = 48; o + 4 <= b.readUInt32LE(4); o += b.readUInt16LE(o + 2)) {
    out.push(b.readUInt16LE(o));
    if (b.readUInt16LE(o + 2) === 0) break;
  }
  return out;
}

describe.skipIf(!HAVE_CORPUS)('the IMS engine on the shared corpus', () => {
  test('all 205 tables are there', () => {
    expect(files).toHaveLength(205);
  });

  test.each(files.map((f) => [basename(f), f]))('%s', (_, f) => {
    const bytes = readFileSync(f);
    const { table } = decodeDmar(bytes);
    const imsOptOut = (bytes[37]! & 0x08) !== 0;
    expect(rawTypes(bytes)).not.toContain(0x8001);

    const bare = gatherEvidence({ table, tableSource: f, cli: { hypervisor: false } });
    const o = optIn.decide(bare.evidence);
    expect(o.rules.map((r) => r.id)).toEqual(['opt-in.4']);
    expect(o.verdict).toBe(imsOptOut ? 'none' : 'native');
    expect(o.findings).toEqual([]);

    // The same table with the proposed IMS_OPTOUT bit set says otherwise.
    const patched = Buffer.from(bytes);
    patched[37] = patched[37]! | 0x08;
    const optedOut = gatherEvidence({ table: decodeDmar(patched).table, tableSource: f, cli: { hypervisor: false } });
    expect(optIn.decide(optedOut.evidence).verdict).toBe('none');

    const unknown = gatherEvidence({ table, tableSource: f });
    const n = optIn.decide(unknown.evidence);
    expect(n.verdict).toBe('none');
    expect(n.rules[0]!.text).toContain('bare metal is not proven');
    expect(derivedFacts(unknown.evidence).bareMetalProven.source).toContain('cpu.hypervisor is unknown (unknown is not proof)');

    // Linux on a physical IOMMU: native exactly when the firmware reports interrupt remapping.
    const phys = gatherEvidence({ table, tableSource: f, cli: { cachingMode: false } });
    expect(linux.decide(phys.evidence).verdict).toBe(bytes[37]! & 0x01 ? 'native' : 'none');
    for (const p of POLICIES) expect(['native', 'virtualized', 'none']).toContain(p.decide(unknown.evidence).verdict);
  });

  test('the whole corpus in one process: one row per table and policy, and the summary', () => {
    const dir = join(files[0]!, '..');
    // Several MB of JSON: more than the helper's default buffer.
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmar.js'), 'ims', dir, '--policy', 'all', '--bare-metal', '--caching-mode', 'off', '--json'], {
      maxBuffer: 64 << 20,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout.toString('utf8')) as {
      tables: { decisions: { policy: string; verdict: string }[] }[];
      summary: Record<string, Record<string, number>>;
    };
    expect(doc.tables).toHaveLength(205);
    const optedOut = files.filter((f) => readFileSync(f)[37]! & 0x08).length;
    const remap = files.filter((f) => readFileSync(f)[37]! & 0x01).length;
    expect(doc.summary['opt-in']).toEqual({ native: 205 - optedOut, virtualized: 0, none: optedOut });
    expect(doc.summary['linux-6.2']).toEqual({ native: remap, virtualized: 0, none: 205 - remap });
    expect(doc.summary['linux-6.10']).toEqual({ native: 0, virtualized: 0, none: 205 });
    const text = dmar(['ims', dir, '--policy', 'all']);
    expect(text.stdout.split('\n').filter((l) => l.startsWith(dir))).toHaveLength(205 * 5);
    expect(text.stdout).toMatch(/^summary: 205 tables$/m);
  });

  test('the CLI agrees on a few of them', () => {
    for (const f of files.filter((_, i) => i % 68 === 0)) {
      const withEvidence = dmar(['ims', f, '--bare-metal', '--json']);
      expect(withEvidence.status).toBe(0);
      expect(JSON.parse(withEvidence.stdout).tables[0].decisions[0].verdict).toBe(readFileSync(f)[37]! & 0x08 ? 'none' : 'native');
      const without = dmar(['ims', f]);
      expect(without.status).toBe(0);
      expect(without.stdout).toMatch(/^opt-in \(proposed\): none$/m);
      expect(without.stdout).toContain('cpu.hypervisor is unknown (unknown is not proof)');
    }
  });
});
