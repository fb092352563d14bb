// The matrix: scenarios built through the real codec, each cell classified as proposals.md says.
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { gatherEvidence, type DescriptorFact } from '../../src/ims/evidence.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFixture } from '../../tools/fixtures/build.js';
import { buildMatrix, classify } from '../../src/ims/matrix.js';
import { matrixJson, matrixText } from '../../src/ims/matrix-format.js';
import { PLAIN } from '../../src/dmar/format/paint.js';
import { buildTable, QEMU_FIRMWARE, SCENARIO_KINDS, SCENARIOS, scenarioTable, VENDOR_FIRMWARE } from '../../src/ims/scenarios.js';
import { IMS_FIXTURES } from './load.js';

const m = buildMatrix();

describe('scenarios', () => {
  test('the nine ground truths of proposals.md; each VM with caching mode off and on', () => {
    expect([...new Set(SCENARIOS.map((s) => s.name))]).toEqual([
      'bare-metal (old firmware, no descriptor)',
      'bare-metal (descriptor, VIRTUALIZED=0)',
      'vm: legacy hypervisor (knows neither proposal)',
      'vm: sets IMS_OPTOUT only',
      'vm: descriptor without IMS',
      'vm: descriptor with IMS',
      'vm: descriptor with IMS, IMS_OPTOUT left 0 (implements only the opt-in proposal)',
      'vm: hides the CPUID hypervisor bit and patches OEM IDs (no descriptor)',
      'vm: copies a host table with a VIRTUALIZED=0 descriptor',
    ]);
    expect(SCENARIOS).toHaveLength(16);
    expect(SCENARIOS.filter((s) => !s.vm).every((s) => !s.cachingMode)).toBe(true);
    expect(SCENARIOS.filter((s) => s.available === 'virtualized').map((s) => s.id)).toEqual([
      'vm-descriptor-ims/cm-off',
      'vm-descriptor-ims/cm-on',
      'vm-descriptor-ims-opt-in-only/cm-off',
      'vm-descriptor-ims-opt-in-only/cm-on',
    ]);
    expect(SCENARIOS.filter((s) => s.lies).map((s) => s.id)).toEqual(['vm-hidden/cm-off', 'vm-hidden/cm-on', 'vm-host-copy/cm-off', 'vm-host-copy/cm-on']);
  });

  test("every scenario's table is a fixture (fixtures/ims/matrix): the JSON encodes to the .bin, and the scenario builds the same bytes", () => {
    for (const k of SCENARIO_KINDS) {
      const base = join(IMS_FIXTURES, 'matrix', k.id);
      const bin = readFileSync(`${base}.bin`);
      expect(Buffer.from(buildFixture(JSON.parse(readFileSync(`${base}.json`, 'utf8')))).equals(bin)).toBe(true);
      expect(Buffer.from(encodeDmar(scenarioTable(k))).equals(bin)).toBe(true);
      const { table, problems } = decodeDmar(bin);
      expect(problems).toEqual([]);
      expect(Buffer.from(encodeDmar(table)).equals(bin)).toBe(true);
    }
  });

  test("the lying hypervisors carry a vendor's OEM IDs; the host copy asserts bare metal; the opt-in-only one leaves IMS_OPTOUT 0", () => {
    const read = (id: string) => readFileSync(join(IMS_FIXTURES, 'matrix', `${id}.bin`));
    for (const id of ['vm-hidden', 'vm-host-copy']) expect(read(id).subarray(10, 16).toString('latin1')).toBe('INTEL ');
    expect(read('vm-legacy').subarray(10, 16).toString('latin1')).toBe('BOCHS ');
    const copy = read('vm-host-copy');
    expect(copy.readUInt16LE(72)).toBe(0x8001);
    expect(copy[72 + 5]).toBe(0); // VIRTUALIZED=0
    const optInOnly = read('vm-descriptor-ims-opt-in-only');
    expect(optInOnly[37]).toBe(0x01); // INTR_REMAP only: IMS_OPTOUT left 0
    expect(optInOnly.readBigUInt64LE(72 + 24)).toBe(1n); // feature IMS
  });

  test("a VM table is QEMU's: BOCHS/BXPC, one INCLUDE_PCI_ALL DRHD at 0xfed90000 naming the IOAPIC, INTR_REMAP", () => {
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
  const POLS = ['opt-in', 'opt-out', 'firmware-hint', 'linux-6.2', 'linux-6.10'];
  const cls = (c: (typeof m.cells)[number], p: string) => c.results.find((r) => r.policy === p)!;

  test('16 scenarios x 4 evidence cases, every policy in every cell', () => {
    expect(m.cells).toHaveLength(64);
    for (const c of m.cells) expect(c.results.map((r) => r.policy)).toEqual(POLS);
  });

  test('the counts', () => {
    expect(m.summary).toEqual({
      'opt-in': { unsafe: 6, lost: 2, ok: 56 },
      'opt-out': { unsafe: 32, lost: 0, ok: 32 },
      'firmware-hint': { unsafe: 8, lost: 4, ok: 52 },
      'linux-6.2': { unsafe: 42, lost: 4, ok: 18 },
      'linux-6.10': { unsafe: 0, lost: 24, ok: 40 },
    });
  });

  test('held out from the first engine: its ten scenarios keep their verdicts (linux is linux-6.2)', () => {
    const old = m.cells.filter((c) => !c.scenario.lies && !c.scenario.id.startsWith('vm-descriptor-ims-opt-in-only'));
    expect(old).toHaveLength(40);
    const tally = (p: string) => {
      const t = { unsafe: 0, lost: 0, ok: 0 };
      for (const c of old) {
        const k = cls(c, p).class;
        if (k === 'UNSAFE') t.unsafe++;
        else if (k === 'lost') t.lost++;
        else t.ok++;
      }
      return t;
    };
    expect(tally('opt-in')).toEqual({ unsafe: 0, lost: 2, ok: 38 });
    expect(tally('opt-out')).toEqual({ unsafe: 8, lost: 0, ok: 32 });
    expect(tally('firmware-hint')).toEqual({ unsafe: 0, lost: 4, ok: 36 });
    expect(tally('linux-6.2')).toEqual({ unsafe: 24, lost: 2, ok: 14 });
  });

  test('opt-out is UNSAFE on the legacy and the opt-in-only hypervisor in every cell (and where the hypervisor lies)', () => {
    const unsafe = new Set(m.cells.filter((c) => cls(c, 'opt-out').class === 'UNSAFE').map((c) => c.scenario.name));
    expect(unsafe).toEqual(
      new Set([
        'vm: legacy hypervisor (knows neither proposal)',
        'vm: descriptor with IMS, IMS_OPTOUT left 0 (implements only the opt-in proposal)',
        'vm: hides the CPUID hypervisor bit and patches OEM IDs (no descriptor)',
        'vm: copies a host table with a VIRTUALIZED=0 descriptor',
      ]),
    );
    for (const c of m.cells.filter((x) => x.scenario.id.startsWith('vm-descriptor-ims-opt-in-only'))) {
      expect(cls(c, 'opt-out').verdict).toBe('native');
      expect(cls(c, 'opt-in').verdict).toBe('virtualized');
    }
  });

  test('opt-in is UNSAFE only where the hypervisor lies: the hidden bit read as clear, or the host copy with the bit unknown', () => {
    const unsafe = m.cells.filter((c) => cls(c, 'opt-in').class === 'UNSAFE');
    expect(unsafe.every((c) => c.scenario.lies)).toBe(true);
    expect(unsafe.map((c) => [c.scenario.id, c.hypervisorKnown, c.cachingModeKnown])).toEqual([
      ['vm-hidden/cm-off', true, true],
      ['vm-hidden/cm-off', true, false],
      ['vm-hidden/cm-on', true, false],
      ['vm-host-copy/cm-off', false, true],
      ['vm-host-copy/cm-off', false, false],
      ['vm-host-copy/cm-on', false, false],
    ]);
  });

  test('opt-in loses native IMS only on old bare-metal firmware when the hypervisor bit is unknown', () => {
    const lost = m.cells.filter((c) => cls(c, 'opt-in').class === 'lost');
    expect(lost.map((c) => [c.scenario.id, c.hypervisorKnown])).toEqual([
      ['bare-metal-old', false],
      ['bare-metal-old', false],
    ]);
  });

  test('linux-6.2: only a known caching mode keeps it out of a VM; linux-6.10 never says native', () => {
    for (const c of m.cells.filter((x) => x.scenario.vm)) {
      expect(cls(c, 'linux-6.2').verdict).toBe(c.scenario.cachingMode && c.cachingModeKnown ? 'none' : 'native');
    }
    for (const c of m.cells) expect(cls(c, 'linux-6.10')).toMatchObject({ verdict: 'none', rule: 'linux-6.10.1' });
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

  test('JSON: each cell says what the OS read and, per policy, the verdict, class, rule and reason', () => {
    const j = matrixJson(m) as { cells: Record<string, unknown>[]; summary: Record<string, unknown>; policies: unknown[]; notes: string[] };
    expect(j.cells).toHaveLength(64);
    // proposals.md: "the output says so", in JSON as in text
    expect(j.notes).toEqual(["lies (the hypervisor lies): no policy that trusts the platform's word can see through it"]);
    const cell = j.cells[8] as { verdicts: Record<string, { reason: string }> };
    expect(cell).toMatchObject({
      scenario: 'vm: legacy hypervisor (knows neither proposal)',
      id: 'vm-legacy/cm-off',
      vm: true,
      cachingMode: 'off',
      available: 'none',
      lies: false,
      evidence: { cpuHypervisor: true, cachingMode: false },
      verdicts: {
        'opt-in': { verdict: 'none', class: 'ok', rule: 'opt-in.4' },
        'opt-out': { verdict: 'native', class: 'UNSAFE', rule: 'opt-out.3' },
        'firmware-hint': { verdict: 'none', class: 'ok', rule: 'firmware-hint.1' },
        'linux-6.2': { verdict: 'native', class: 'UNSAFE', rule: 'linux-6.2.4' },
        'linux-6.10': { verdict: 'none', class: 'ok', rule: 'linux-6.10.1' },
      },
    });
    expect(cell.verdicts['opt-out']!.reason).toBe('IMS_OPTOUT=0: the platform did not opt out, native IMS');
    const hidden = j.cells.find((c) => c.id === 'vm-hidden/cm-off') as { evidence: unknown; lies: boolean };
    expect(hidden).toMatchObject({ evidence: { cpuHypervisor: false, cachingMode: false }, lies: true });
    expect(Object.keys(j.summary)).toEqual(POLS);
    expect(j.policies).toContainEqual({ name: 'linux-6.2', proposed: false });
  });

  test('text: (proposed) under the proposed columns, what the OS read in each row, the summary', () => {
    const t = matrixText(m, PLAIN);
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/^ {2}hypervisor bit +caching mode +opt-in +opt-out +firmware-hint +linux-6\.2 +linux-6\.10$/);
    expect(lines[1]!.match(/\(proposed\)/g)).toHaveLength(3);
    expect(lines[1]!.indexOf('(proposed)')).toBe(lines[0]!.indexOf('opt-in'));
    expect(lines.filter((l) => /^ {2}(known: (set|clear)|unknown) /.test(l))).toHaveLength(64);
    expect(t).toMatch(/^ {2}known: clear +known: off +native UNSAFE +native UNSAFE +none ok/m);
    expect(t).toMatch(/^opt-out \(proposed\) +32 +0 +32 +16$/m);
    expect(t).toMatch(/^opt-in \(proposed\) +6 +2 +56 +6$/m);
    expect(t).toContain('(really available: none; the hypervisor lies)');
  });
});
