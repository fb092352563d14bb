// The structure-aware diff (src/dmar/table-diff.ts): equal exactly when the bytes are,
// structures matched by identity, offsets in both inputs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { diffJson, diffTables, type TableDiff } from '../../src/dmar/table-diff.js';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { fixTable, setDmarFlag, setVirtDescriptor } from '../../src/dmar/edit.js';
import { diffText } from '../../src/dmar/format/diff-text.js';
import { PLAIN } from '../../src/dmar/format/paint.js';
import { FIXTURES, HAVE_CORPUS, corpusFiles } from '../helpers.js';

const tables = corpusFiles().map((f) => ({ id: f.slice(-17, -5), bytes: new Uint8Array(readFileSync(f)) }));
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** A deterministic sequence of offsets (no Math.random: a failure must reproduce). */
function* offsets(n: number, count: number, seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x % n;
  }
}

const fieldsOf = (d: TableDiff) => [...d.header, ...d.dmar].map((f) => f.field);

describe.skipIf(!HAVE_CORPUS)('on all corpus tables', () => {
  test('a table is equal to itself, and differs from itself with any one byte changed', () => {
    tables.forEach(({ id, bytes }, n) => {
      const same = diffTables(bytes, new Uint8Array(bytes));
      expect(same.equal, id).toBe(true);
      expect(same.header.length + same.dmar.length + same.structures.length + same.tail.length, id).toBe(0);
      for (const at of offsets(bytes.length, 12, n + 1)) {
        const other = new Uint8Array(bytes);
        other[at]! ^= 0x5a;
        let notDmar = false;
        try {
          decodeDmar(other, { strict: false });
        } catch {
          notDmar = true; // the signature or a Table Length under 48: no longer a DMAR table at all
        }
        if (notDmar) {
          expect(() => diffTables(bytes, other), `${id} byte ${at}`).toThrow(/signature|Table Length/);
          continue;
        }
        const d = diffTables(bytes, other);
        expect(d.equal, `${id} byte ${at}`).toBe(false);
        // Found by the structure-aware comparison, not by the byte-compare safety net.
        expect(
          d.tail.some((f) => f.field === 'bytes'),
          `${id} byte ${at}`,
        ).toBe(false);
      }
    });
  });

  test('set-flag ims-optout shows as exactly the Flags change (bit IMS_OPTOUT, proposed) and the Checksum', () => {
    for (const { id, bytes } of tables) {
      if (bytes[37]! & 8) continue;
      const d = diffTables(bytes, setDmarFlag(bytes, 'ims-optout', true).bytes);
      expect(fieldsOf(d), id).toEqual(['checksum', 'flags']);
      expect(d.dmar[0]!.bits, id).toEqual([{ name: 'IMS_OPTOUT', a: false, b: true, proposed: true }]);
      expect(d.dmar[0]!.proposed).toBe(true);
      expect(d.structures, id).toEqual([]);
    }
  });

  test('an added descriptor is one added structure (proposed) at the old table end', () => {
    for (const { id, bytes } of tables) {
      const b = setVirtDescriptor(bytes, { virtualized: true, features: ['ims'] }).bytes;
      const d = diffTables(bytes, b);
      expect(fieldsOf(d), id).toEqual(['length', 'checksum']);
      expect(d.structures, id).toHaveLength(1);
      const s = d.structures[0]!;
      expect(s.change).toBe('added');
      expect(s.kind).toBe('VIRT');
      expect(s.proposed).toBe(true);
      expect(s.a).toBeNull();
      expect(s.b!.offset).toBe(bytes[4]! | (bytes[5]! << 8));
      expect(s.b!.index).toBe(decodeDmar(bytes).table.structures.length);
    }
  });
});

describe('matching', () => {
  const server = fixture('server-2s.bin');
  const model = () => decodeDmar(server).table;

  test('structures removed, added and reordered are matched by identity, with offsets in both', () => {
    const t = model();
    const drhds = t.structures.filter((s) => s.type === 0);
    expect(drhds.length).toBeGreaterThan(1);
    const removedIndex = t.structures.indexOf(drhds[0]!);
    const removed = t.structures.splice(removedIndex, 1)[0]!;
    const b = encodeDmar(t);
    const d = diffTables(server, b);
    const gone = d.structures.filter((s) => s.change === 'removed');
    expect(gone).toHaveLength(1);
    expect(gone[0]!.key).toBe(`DRHD segment ${Number(removed.fields.segment)} base 0x${BigInt(removed.fields.registerBaseAddress as bigint).toString(16)}`);
    expect(gone[0]!.a).toEqual({ index: removedIndex, label: 'DRHD #1', offset: removed.offset, length: removed.length });
    // Every other structure is matched: it moved in the bytes but nothing in it changed.
    expect(d.structures.filter((s) => s.change !== 'removed')).toEqual([]);
  });

  test('swapping two structures reports one as moved and nothing else about them', () => {
    const t = model();
    const last = t.structures.length - 1;
    [t.structures[last - 1], t.structures[last]] = [t.structures[last]!, t.structures[last - 1]!];
    const d = diffTables(server, encodeDmar(t));
    expect(d.structures).toHaveLength(1);
    expect(d.structures[0]!.moved).toBe(true);
    expect(d.structures[0]!.fields).toEqual([]);
    expect(d.header.map((f) => f.field)).toEqual(d.header.length ? ['checksum'] : []);
  });

  test('swapping two device scopes reports one as moved, with its offsets, whatever else changed (it was "Bytes" after the structures, or nothing)', () => {
    const t = model();
    const drhd = t.structures.find((s) => s.type === 0 && (s.scopes?.length ?? 0) >= 2)!;
    const [x, y] = drhd.scopes!;
    drhd.scopes!.splice(0, 2, y!, x!);
    for (const revision of [undefined, 2]) {
      if (revision !== undefined) t.header.oemRevision = revision;
      const d = diffTables(server, encodeDmar(t));
      expect(d.structures).toHaveLength(1);
      expect(d.structures[0]!.fields).toEqual([]);
      expect(d.structures[0]!.scopes).toEqual([
        expect.objectContaining({
          change: 'changed',
          moved: true,
          fields: [],
          a: expect.objectContaining({ index: 0 }),
          b: expect.objectContaining({ index: 1 }),
        }),
      ]);
      expect(d.tail).toEqual([]);
      expect(diffText(d, PLAIN)).toMatch(/~ scope .* {2}@0x[0-9a-f]+ -> 0x[0-9a-f]+ {2}moved\n/);
    }
  });

  test('a changed field of a matched structure, a changed scope and a new scope', () => {
    const t = model();
    const rmrr = t.structures.find((s) => s.type === 1 && (s.scopes?.length ?? 0) > 0)!;
    const i = t.structures.indexOf(rmrr);
    rmrr.fields.endAddress = BigInt(rmrr.fields.endAddress as bigint) + 0x1000n;
    rmrr.scopes![0]!.fields.flags = 0x02;
    rmrr.scopes!.push({ offset: 0, fields: { type: 1, enumerationId: 0, bus: 0x42 }, path: [{ device: 3, function: 1 }] });
    const b = encodeDmar(t);
    const d = diffTables(server, b);
    const s = d.structures.find((x) => x.kind === 'RMRR')!;
    expect(s.change).toBe('changed');
    expect(s.a!.index).toBe(i);
    expect(s.fields.map((f) => f.field)).toEqual(['length', 'endAddress']);
    const end = s.fields[1]!;
    expect(end.a!.offset).toBe(rmrr.offset + 16);
    expect(end.b!.offset).toBe(decodeDmar(b).table.structures[i]!.offset + 16);
    expect(s.scopes.map((x) => x.change)).toEqual(['changed', 'added']);
    expect(s.scopes[1]!.scope).toBe('PCI Endpoint Device id 0 42:03.1');
    expect(s.scopes[0]!.fields.map((f) => f.field)).toEqual(['flags']);
  });

  test('descriptor changes show bits by name; the whole structure is proposed', () => {
    const qemu = fixture('edit/qemu-q35.bin');
    const a = setVirtDescriptor(qemu, { virtualized: true, features: ['ims'] }).bytes;
    const b = setVirtDescriptor(a, { features: ['ims', 'remappable-direct'], signature: 'KVMKVMKVM' }).bytes;
    const d = diffTables(a, b);
    const s = d.structures[0]!;
    expect(s).toMatchObject({ change: 'changed', kind: 'VIRT', proposed: true });
    expect(s.fields.map((f) => f.field)).toEqual(['hypervisorSignature', 'supportedFeatures']);
    expect(s.fields[1]!.bits).toEqual([{ name: 'REMAPPABLE_DIRECT', a: false, b: true }]);
    expect(s.fields[1]!.a!.value).toBe('0x1');
  });

  test('bytes after Table Length and malformed remainders are compared too', () => {
    const qemu = fixture('edit/qemu-q35.bin');
    const padded = new Uint8Array(qemu.length + 3);
    padded.set(qemu);
    padded[qemu.length] = 7;
    const d = diffTables(qemu, padded);
    expect(d.tail.map((f) => f.field)).toEqual(['extraData']);
    expect(d.tail[0]!.b).toEqual({ offset: qemu.length, value: '070000' });
    const broken = new Uint8Array(qemu);
    broken[0x4a] = 12; // the ATSR overruns: decoded leniently, its bytes become the table's trailing bytes
    const e = diffTables(qemu, broken);
    expect(e.equal).toBe(false);
    expect(e.problems.b[0]!.code).toBe('DMAR-STRUCT-OVERRUN');
    expect(e.tail.map((f) => f.field)).toEqual(['trailing']);
  });
});

describe('output', () => {
  const qemu = fixture('edit/qemu-q35.bin');
  const edited = setVirtDescriptor(setDmarFlag(qemu, 'ims-optout', true).bytes, { virtualized: true, signature: 'KVMKVMKVM', features: ['ims'] }).bytes;

  test('text labels what is proposed and gives offsets', () => {
    const text = diffText(diffTables(qemu, edited, { a: 'a.bin', b: 'b.bin' }), PLAIN);
    expect(text).toContain('--- a: a.bin (80 bytes)');
    expect(text).toMatch(/~ Flags +0x01 -> 0x09 +@0x25\n +IMS_OPTOUT \(proposed\) +0 -> 1/);
    expect(text).toMatch(/\+ VIRT \(proposed\) +VIRT #1 @0x50 in b, 32 bytes/);
    expect(text).toMatch(/Supported Features +0x1 \(IMS\)/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('4 differences');
    expect(diffText(diffTables(qemu, qemu), PLAIN)).toBe('no differences (80 bytes)\n');
  });

  test('JSON has the documented shape and no schema rows', () => {
    const j = diffJson(diffTables(qemu, edited, { a: 'a.bin', b: 'b.bin' })) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['format', 'equal', 'a', 'b', 'header', 'dmar', 'structures', 'tail', 'problems']);
    expect(j.format).toBe('dmar-diff/1');
    expect(JSON.stringify(j)).not.toContain('"row"');
    expect((j.dmar as unknown[])[0]).toEqual({
      field: 'flags',
      name: 'Flags',
      a: { offset: 37, value: 1 },
      b: { offset: 37, value: 9 },
      bits: [{ name: 'IMS_OPTOUT', a: false, b: true, proposed: true }],
      proposed: true,
    });
  });

  test('fix output is checked by diff: a repaired Checksum is the only difference', () => {
    const bad = new Uint8Array(qemu);
    bad[9]! ^= 1;
    const d = diffTables(bad, fixTable(bad).bytes);
    expect(fieldsOf(d)).toEqual(['checksum']);
  });
});
