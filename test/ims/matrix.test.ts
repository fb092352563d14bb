// The matrix: scenarios built through the real codec, each cell classified as proposals.md says.
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { gatherEvidence, type DescriptorFact } from '../../src/ims/evidence.js';
import { buildMatrix, classify } from '../../src/ims/matrix.js';
import { matrixJson, matrixText } from '../../src/ims/matrix-format.js';
import { PLAIN } from '../../src/dmar/format/paint.js';
import { buildTable, QEMU_FIRMWARE, SCENARIOS, VENDOR_FIRMWARE } from '../../src/ims/scenarios.js';

const m = buildMatrix();

describe('scenarios', () => {
  test('the six ground truths of proposals.md; each VM with caching mode off and on', () => {
    expect([...new Set(SCENARIOS.map((s) => s.name))]).toEqual([
      'bare-metal (old firmware, no descriptor)', 'bare-metal (descriptor, VIRTUALIZED=0)',
      'vm: legacy hypervisor (knows neither proposal)', 'vm: sets IMS_OPTOUT only',
      'vm: descriptor without IMS', 'vm: descriptor with IMS',
    ]);
    expect(SCENARIOS).toHaveLength(10);
    expect(SCENARIOS.filter((s) => !s.vm).every((s) => !s.cachingMode)).toBe(true);
    expect(SCENARIOS.filter((s) => s.available === 'virtualized').map((s) => s.id)).toEqual(['vm-descriptor-ims/cm-off', 'vm-descriptor-ims/cm-on']);
  });

  test('a VM table is QEMU\'s: BOCHS/BXPC, one INCLUDE_PCI_ALL DRHD at 0xfed90000 naming the IOAPIC, INTR_REMAP', () => {
    const bytes = encodeDmar(buildTable({ firmware: QEMU_FIRMWARE, imsOptOut: false }));
    const b = Buffer.from(bytes);
    expect(b.subarray(10, 24).toString('latin1')).toBe('BOCHS BXPC    ');
    expect(b[37]).toBe(0x01);
    expect(b.readUInt16LE(48)).toBe(0); // DRHD
    expect(b[52]).toBe(1); // INCLUDE_PCI_ALL
    expect(b.readBigUInt64LE(56)).toBe(0xfed90000n);
    expect(b[64]).toBe(3); // IOAPIC scope
    expect(b.length).toBe(72);
    const { problems } = decodeDmar(bytes);
    expect(problems).toEqual([]);
  });

  test('the descriptor a scenario asks for survives encode and decode', () => {
    const { table } = decodeDmar(encodeDmar(buildTable({ firmware: QEMU_FIRMWARE, imsOptOut: true, descriptor: { virtualized: true, ims: true } })));
    const ev = gatherEvidence({ table, tableSource: 't' }).evidence;
    expect(ev['flags.imsOptOut'].value).toBe(true);
    expect((ev.descriptor.value as DescriptorFact).features.IMS).toBe(true);
    expect((ev.descriptor.value as DescriptorFact).hypervisorSignature).toBe('KVMKVMKVM');
  });
});

describe('classification', () => {
  const bare = SCENARIOS.find((s) => s.id === 'bare-metal-old')!;
  const legacy = SCENARIOS.find((s) => s.id === 'vm-legacy/cm-off')!;
  const withIms = SCENARIOS.find((s) => s.id === 'vm-descriptor-ims/cm-on')!;
  test('UNSAFE is native inside a VM', () => {
    expect(classify(legacy, 'native')).toBe('UNSAFE');
    expect(classify(withIms, 'native')).toBe('UNSAFE');
    expect(classify(bare, 'native')).toBe('ok');
  });
  test('lost is none where native or virtualized really worked', () => {
    expect(classify(bare, 'none')).toBe('lost');
    expect(classify(withIms, 'none')).toBe('lost');
    expect(classify(legacy, 'none')).toBe('ok');
    expect(classify(withIms, 'virtualized')).toBe('ok');
  });
});

describe('the matrix', () => {
  test('10 scenarios x 4 evidence cases, every policy in every cell', () => {
    expect(m.cells).toHaveLength(40);
    for (const c of m.cells) expect(c.results.map((r) => r.policy)).toEqual(['opt-in', 'opt-out', 'firmware-hint', 'linux']);
  });

  test('opt-out is UNSAFE exactly on the legacy hypervisor; opt-in is never UNSAFE', () => {
    expect(m.summary).toEqual({
      'opt-in': { unsafe: 0, lost: 2, ok: 38 },
      'opt-out': { unsafe: 8, lost: 0, ok: 32 },
      'firmware-hint': { unsafe: 0, lost: 4, ok: 36 },
      linux: { unsafe: 24, lost: 2, ok: 14 },
    });
    const unsafeOptOut = m.cells.filter((c) => c.results.find((r) => r.policy === 'opt-out')!.class === 'UNSAFE');
    expect(new Set(unsafeOptOut.map((c) => c.scenario.name))).toEqual(new Set(['vm: legacy hypervisor (knows neither proposal)']));
  });

  test('opt-in loses native IMS only on old bare-metal firmware when the hypervisor bit is unknown', () => {
    const lost = m.cells.filter((c) => c.results[0]!.class === 'lost');
    expect(lost.map((c) => [c.scenario.id, c.hypervisorKnown])).toEqual([['bare-metal-old', false], ['bare-metal-old', false]]);
  });

  test('linux: only a known caching mode keeps it out of a VM', () => {
    for (const c of m.cells.filter((x) => x.scenario.vm)) {
      const r = c.results.find((x) => x.policy === 'linux')!;
      expect(r.verdict).toBe(c.scenario.cachingMode && c.cachingModeKnown ? 'none' : 'native');
    }
  });

  test('no policy says virtualized where no hypervisor offers it', () => {
    for (const c of m.cells) {
      for (const r of c.results) if (r.verdict === 'virtualized') expect(c.scenario.available).toBe('virtualized');
    }
  });

  test('the weak OEM evidence is not what keeps any policy safe: vendor IDs in VMs give the same counts', () => {
    expect(buildMatrix({ vmFirmware: 'vendor' }).summary).toEqual(m.summary);
    expect(VENDOR_FIRMWARE.oemId).not.toBe(QEMU_FIRMWARE.oemId);
  });

  test('JSON: cells and a summary per policy', () => {
    const j = matrixJson(m) as { cells: Record<string, unknown>[]; summary: Record<string, unknown>; policies: unknown[] };
    expect(j.cells).toHaveLength(40);
    expect(j.cells[8]).toEqual({
      scenario: 'vm: legacy hypervisor (knows neither proposal)', id: 'vm-legacy/cm-off', vm: true, cachingMode: 'off', available: 'none',
      evidence: { cpuHypervisor: 'known', cachingMode: 'known' },
      verdicts: {
        'opt-in': { verdict: 'none', class: 'ok' }, 'opt-out': { verdict: 'native', class: 'UNSAFE' },
        'firmware-hint': { verdict: 'none', class: 'ok' }, linux: { verdict: 'native', class: 'UNSAFE' },
      },
    });
    expect(Object.keys(j.summary)).toEqual(['opt-in', 'opt-out', 'firmware-hint', 'linux']);
    expect(j.policies).toContainEqual({ name: 'linux', proposed: false });
  });

  test('text: one row per evidence case under each scenario, and the summary', () => {
    const t = matrixText(m, PLAIN);
    expect(t.split('\n').filter((l) => /^ {2}(known|unknown) /.test(l))).toHaveLength(40);
    expect(t).toMatch(/^opt-out \(proposed\) +8 +0 +32$/m);
    expect(t).toMatch(/^opt-in \(proposed\) +0 +2 +38$/m);
  });
});
