// Every rule of every policy (proposals.md section 3), on the tables of fixtures/ims.
import { describe, expect, test } from 'vitest';
import type { CommandLineEvidence } from '../../src/ims/evidence.js';
import { firmwareHint } from '../../src/ims/policies/firmware-hint.js';
import { POLICIES, policyByName } from '../../src/ims/policies/index.js';
import { kernelMajorMinor, linux610, linux62, linuxForKernel, linuxPre62 } from '../../src/ims/policies/linux.js';
import { optIn } from '../../src/ims/policies/opt-in.js';
import { optOut } from '../../src/ims/policies/opt-out.js';
import type { Outcome, Policy } from '../../src/ims/policy.js';
import { evidenceOf, NO_TABLE } from './load.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDmar } from '../../src/dmar/decode.js';
import type { DmarTable } from '../../src/dmar/model.js';
import { gatherEvidence } from '../../src/ims/evidence.js';
import { corpusFiles, FIXTURES, HAVE_CORPUS } from '../helpers.js';
import { validateBytes } from '../../src/dmar/validate/engine.js';

/** Every .bin under a fixtures directory. */
function fixtureBins(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? fixtureBins(join(dir, e.name)) : e.name.endsWith('.bin') ? [join(dir, e.name)] : [],
  );
}

function run(p: Policy, fixture: string | null, cli: CommandLineEvidence = {}): Outcome {
  return p.decide(fixture === null ? NO_TABLE.evidence : evidenceOf(fixture, cli).evidence);
}

/** The one rule that fired, its verdict, and the outcome's verdict agree. */
function expectRule(o: Outcome, id: string, verdict: string): void {
  expect(o.rules.map((r) => r.id)).toEqual([id]);
  expect(o.rules[0]!.verdict).toBe(verdict);
  expect(o.verdict).toBe(verdict);
}

describe('registry', () => {
  test('holds the five policies in order, opt-in first', () => {
    expect(POLICIES.map((p) => p.name)).toEqual(['opt-in', 'opt-out', 'firmware-hint', 'linux-6.2', 'linux-6.10']);
    expect(policyByName('linux-6.2')).toBe(linux62);
    expect(policyByName('linux-pre-6.2')).toBe(linuxPre62);
    expect(policyByName('linux')).toBeUndefined(); // resolved by kernel version
    expect(policyByName('nope')).toBeUndefined();
  });
  test('only the linux policies are not proposals', () => {
    expect(POLICIES.filter((p) => !p.proposed).map((p) => p.name)).toEqual(['linux-6.2', 'linux-6.10']);
  });
  test('every policy says the same reason when there is no DMAR', () => {
    for (const p of [...POLICIES.slice(0, 4)]) {
      expect(run(p, null).rules[0]!.text).toContain('no DMAR: not an Intel VT-d platform (AMD IVRS is not modelled)');
      expect(run(p, null).verdict).toBe('none');
    }
  });
});

describe('opt-in', () => {
  test('rule 1: no DMAR table -> none', () => {
    expectRule(run(optIn, null), 'opt-in.1', 'none');
  });
  test('rule 2: VIRTUALIZED=1 with feature IMS -> virtualized, whatever IMS_OPTOUT says', () => {
    expectRule(run(optIn, 'qemu-descriptor-ims'), 'opt-in.2', 'virtualized');
    expectRule(run(optIn, 'qemu-descriptor-ims-no-optout'), 'opt-in.2', 'virtualized');
  });
  test('rule 2: VIRTUALIZED=1 without feature IMS -> none, even with other features or unnamed bits', () => {
    expectRule(run(optIn, 'qemu-descriptor-no-ims'), 'opt-in.2', 'none');
    expectRule(run(optIn, 'descriptor-unknown-feature'), 'opt-in.2', 'none');
  });
  test('rule 3: VIRTUALIZED=0 and no virtualization evidence -> native', () => {
    expectRule(run(optIn, 'bare-metal-descriptor'), 'opt-in.3', 'native');
    expectRule(run(optIn, 'bare-metal-descriptor', { hypervisor: false, cachingMode: false }), 'opt-in.3', 'native');
  });
  test('rule 3: VIRTUALIZED=0 but IMS_OPTOUT=1 -> none', () => {
    expectRule(run(optIn, 'bare-metal-descriptor-ims-optout'), 'opt-in.3', 'none');
  });
  test('rule 3: VIRTUALIZED=0 contradicted by --hypervisor -> none and an error-level conflict', () => {
    const o = run(optIn, 'bare-metal-descriptor', { hypervisor: true });
    expectRule(o, 'opt-in.3', 'none');
    expect(o.rules[0]!.uses).toEqual(['descriptor', 'cpu.hypervisor']);
    expect(o.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'IMS-VIRT-CONFLICT' })]);
    expect(o.findings[0]!.message).toContain('offset 0x48');
  });
  test('rule 3: contradicted by caching mode, or by the OEM IDs of virtual firmware (weak evidence counts)', () => {
    const cm = run(optIn, 'bare-metal-descriptor', { cachingMode: true });
    expectRule(cm, 'opt-in.3', 'none');
    expect(cm.rules[0]!.uses).toContain('iommu.cachingMode');
    const oem = run(optIn, 'qemu-descriptor-bare-metal');
    expectRule(oem, 'opt-in.3', 'none');
    expect(oem.rules[0]!.uses).toContain('oem.virtualFirmware');
    expect(oem.findings.map((f) => f.severity)).toEqual(['error']);
  });
  test('rule 4: no descriptor, bare metal proven by --bare-metal, IMS_OPTOUT=0 -> native', () => {
    expectRule(run(optIn, 'bare-metal', { hypervisor: false }), 'opt-in.4', 'native');
    expectRule(run(optIn, 'bare-metal', { hypervisor: false, cachingMode: false }), 'opt-in.4', 'native');
  });
  test('rule 4: bare metal proven but IMS_OPTOUT=1 -> none', () => {
    expectRule(run(optIn, 'bare-metal-ims-optout', { hypervisor: false }), 'opt-in.4', 'none');
  });
  test('rule 4: unknown is not proof: no evidence -> none', () => {
    const o = run(optIn, 'bare-metal');
    expectRule(o, 'opt-in.4', 'none');
    expect(o.rules[0]!.uses).toContain('bareMetalProven');
  });
  test('rule 4: --bare-metal is not enough against caching mode on or QEMU OEM IDs', () => {
    expectRule(run(optIn, 'bare-metal', { hypervisor: false, cachingMode: true }), 'opt-in.4', 'none');
    expectRule(run(optIn, 'qemu-legacy', { hypervisor: false }), 'opt-in.4', 'none');
  });
  test('rule 4: a legacy hypervisor gets nothing, known or not', () => {
    expectRule(run(optIn, 'qemu-legacy'), 'opt-in.4', 'none');
    expectRule(run(optIn, 'qemu-legacy', { hypervisor: true }), 'opt-in.4', 'none');
    expectRule(run(optIn, 'qemu-ims-optout', { hypervisor: true }), 'opt-in.4', 'none');
  });
  test('the first of two descriptors decides', () => {
    expectRule(run(optIn, 'two-descriptors'), 'opt-in.2', 'virtualized');
  });
});

describe('opt-out', () => {
  test('rule 1: no DMAR table -> none', () => {
    expectRule(run(optOut, null), 'opt-out.1', 'none');
  });
  test('rule 2: IMS_OPTOUT=1 with a descriptor VIRTUALIZED=1 and IMS -> virtualized', () => {
    expectRule(run(optOut, 'qemu-descriptor-ims'), 'opt-out.2', 'virtualized');
  });
  test('rule 2: IMS_OPTOUT=1 otherwise -> none (no descriptor, no IMS feature, VIRTUALIZED=0)', () => {
    expectRule(run(optOut, 'qemu-ims-optout'), 'opt-out.2', 'none');
    expectRule(run(optOut, 'qemu-descriptor-no-ims'), 'opt-out.2', 'none');
    expectRule(run(optOut, 'bare-metal-descriptor-ims-optout'), 'opt-out.2', 'none');
    expectRule(run(optOut, 'bare-metal-ims-optout', { hypervisor: false }), 'opt-out.2', 'none');
  });
  test('rule 3: IMS_OPTOUT=0 -> native, even inside a known VM (the weakness of the proposal)', () => {
    expectRule(run(optOut, 'bare-metal'), 'opt-out.3', 'native');
    expectRule(run(optOut, 'qemu-legacy', { hypervisor: true, cachingMode: true }), 'opt-out.3', 'native');
    expectRule(run(optOut, 'qemu-descriptor-ims-no-optout'), 'opt-out.3', 'native');
  });
});

describe('firmware-hint', () => {
  test('rule 1: no descriptor -> none, however bare the metal', () => {
    expectRule(run(firmwareHint, null), 'firmware-hint.1', 'none');
    expectRule(run(firmwareHint, 'bare-metal', { hypervisor: false, cachingMode: false }), 'firmware-hint.1', 'none');
    expectRule(run(firmwareHint, 'qemu-ims-optout'), 'firmware-hint.1', 'none');
  });
  test('rule 2: VIRTUALIZED=0 -> native (it reads nothing else)', () => {
    expectRule(run(firmwareHint, 'bare-metal-descriptor'), 'firmware-hint.2', 'native');
    expectRule(run(firmwareHint, 'bare-metal-descriptor', { hypervisor: true }), 'firmware-hint.2', 'native');
    expectRule(run(firmwareHint, 'bare-metal-descriptor-ims-optout'), 'firmware-hint.2', 'native');
  });
  test('rule 3: VIRTUALIZED=1 -> virtualized with IMS, none without', () => {
    expectRule(run(firmwareHint, 'qemu-descriptor-ims'), 'firmware-hint.3', 'virtualized');
    expectRule(run(firmwareHint, 'qemu-descriptor-no-ims'), 'firmware-hint.3', 'none');
    expectRule(run(firmwareHint, 'descriptor-unknown-feature'), 'firmware-hint.3', 'none');
  });
});

describe('linux-6.2', () => {
  const linux = linux62;
  test('rule 1: no DMAR table -> none (vector domain)', () => {
    const o = run(linux, null);
    expectRule(o, 'linux-6.2.1', 'none');
    expect(o.rules[0]!.text).toContain('MSI_FLAG_PCI_IMS');
  });
  test('rule 1: a table Linux rejects as a whole (HAW under 11, no DRHD, a DRHD at address 0) is no table: none, whatever the flags', () => {
    const cases: [string, RegExp][] = [
      ['DMAR-HAW-INVALID', /^Host Address Width \d+ at offset 0x24 \(\d+ bits\): "Invalid DMAR haw", Linux rejects the table$/],
      ['DMAR-DRHD-NONE', /^no DRHD in the table: "No DRHD structure found in DMAR table", no IOMMU unit$/],
      ['DMAR-DRHD-BASE-ZERO', /^DRHD at offset 0x30 has Register Base Address 0: "Your BIOS is broken; DMAR reported at address 0", Linux rejects the table$/],
    ];
    for (const [name, why] of cases) {
      const { table } = decodeDmar(readFileSync(join(FIXTURES, 'invalid', `${name}.bin`)));
      const ev = gatherEvidence({ table, tableSource: name, cli: { cachingMode: false } }).evidence;
      expect(ev['flags.intrRemap'].value, name).toBe(true);
      expect(ev['dmar.linuxRejects'].value, name).toBe(true);
      expect(ev['dmar.linuxRejects'].source, name).toMatch(why);
      const o = linux.decide(ev);
      expectRule(o, 'linux-6.2.1', 'none');
      expect(o.rules[0]!.uses).toEqual(['dmar.present', 'dmar.linuxRejects']);
    }
    // a table Linux takes says so, and rule 4 decides it
    const ok = evidenceOf('bare-metal', { cachingMode: false }).evidence['dmar.linuxRejects'];
    expect(ok.value).toBe(false);
    expect(ok.source).toMatch(/none at address 0, no two on one register page: Linux accepts the table$/);
  });
  test('dmar.linuxRejects is true exactly when validate reports a table Linux rejects, on every fixture and real table', () => {
    // DMAR-TABLE-EMPTY: no structures at all, so no DRHD (DMAR-DRHD-NONE leaves that table to it)
    const REJECTS = new Set(['DMAR-HAW-INVALID', 'DMAR-DRHD-NONE', 'DMAR-DRHD-BASE-ZERO', 'DMAR-TABLE-EMPTY']);
    const files = [...fixtureBins(FIXTURES), ...(HAVE_CORPUS ? corpusFiles() : [])];
    let rejected = 0;
    let decoded = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      let table: DmarTable;
      try {
        table = decodeDmar(bytes).table; // the evidence reads strictly decoded tables only
      } catch {
        continue;
      }
      decoded++;
      const fact = gatherEvidence({ table, tableSource: f, cli: {} }).evidence['dmar.linuxRejects'].value;
      // register sets that overlap in the first 4 KiB fail every kernel; wider ones (2^Size pages) from Linux 6.3 on
      const found = validateBytes(bytes).some((x) => REJECTS.has(x.id) || (x.id === 'DMAR-DRHD-REGISTER-OVERLAP' && x.message.includes('every Linux')));
      expect(fact, f).toBe(found);
      if (found) rejected++;
    }
    expect(rejected).toBeGreaterThanOrEqual(3);
    expect(decoded).toBeGreaterThan(HAVE_CORPUS ? 205 : 20);
  });
  test('rule 2: INTR_REMAP=0 -> none', () => {
    const o = run(linux, 'bare-metal-no-intr-remap', { cachingMode: false });
    expectRule(o, 'linux-6.2.2', 'none');
    expect(o.rules[0]!.text).toContain('vector domain');
  });
  test('rule 3: caching mode on -> none (the vIR domain)', () => {
    const o = run(linux, 'qemu-legacy', { cachingMode: true });
    expectRule(o, 'linux-6.2.3', 'none');
    expect(o.rules[0]!.text).toContain('"vIR"');
    expect(o.warnings).toEqual([]);
  });
  test('rule 4: INTR_REMAP=1, caching mode off -> native, with no warning', () => {
    const o = run(linux, 'bare-metal', { cachingMode: false });
    expectRule(o, 'linux-6.2.4', 'native');
    expect(o.rules[0]!.text).toMatch(/INTEL-IR.*MSI_FLAG_PCI_IMS/);
    expect(o.warnings).toEqual([]);
  });
  test('rule 4: caching mode unknown -> native, and a warning that dmar assumed a physical IOMMU', () => {
    const o = run(linux, 'qemu-legacy');
    expectRule(o, 'linux-6.2.4', 'native');
    expect(o.warnings).toHaveLength(1);
    expect(o.warnings[0]).toMatch(/caching-mode bit.*assumed a physical IOMMU/);
  });
  test('ignores cpu.hypervisor, IMS_OPTOUT and the descriptor, and never says virtualized', () => {
    expect(linux.ignores).toEqual([
      'cpu.tdx',
      'cpu.hypervisor',
      'smbios.virtualMachine',
      'dmi.hypervisorVendor',
      'oem.virtualFirmware',
      'flags.imsOptOut',
      'descriptor',
    ]);
    for (const f of ['qemu-descriptor-ims', 'qemu-ims-optout', 'bare-metal-descriptor']) {
      expectRule(run(linux, f, { hypervisor: true, cachingMode: false }), 'linux-6.2.4', 'native');
    }
  });
});

describe('linux-6.10 and the kernel version', () => {
  test('6.10 and later: none on every table, with the reason', () => {
    for (const f of [null, 'bare-metal', 'qemu-legacy', 'qemu-descriptor-ims']) {
      const o = run(linux610, f, { cachingMode: false, hypervisor: false });
      expectRule(o, 'linux-6.10.1', 'none');
      expect(o.rules[0]!.text).toBe('this kernel has no PCI/IMS support (removed in 6.10)');
    }
  });
  test('linux picks by MAJOR.MINOR: before 6.2 none, 6.2 to 6.9 linux-6.2, 6.10 on linux-6.10', () => {
    const pick = (v: string) => linuxForKernel({ version: v, source: 'test' }).policy.name;
    expect(pick('5.15.0-105-generic')).toBe('linux-pre-6.2');
    expect(pick('6.1.99')).toBe('linux-pre-6.2');
    expect(pick('6.2.0')).toBe('linux-6.2');
    expect(pick('6.9.12-arch1')).toBe('linux-6.2');
    expect(pick('6.10.0')).toBe('linux-6.10');
    expect(pick('6.12.48+deb13-amd64')).toBe('linux-6.10');
    expect(pick('7.0')).toBe('linux-6.10');
    expect(kernelMajorMinor('6.8.0-45-generic')).toEqual([6, 8]);
    expectRule(run(linuxPre62, 'bare-metal', { cachingMode: false }), 'linux-pre-6.2.1', 'none');
  });
  test('no version, or one that is not MAJOR.MINOR: linux-6.10 with a note saying so', () => {
    const none = linuxForKernel(undefined);
    expect(none.policy).toBe(linux610);
    expect(none.note).toMatch(/^linux means linux-6.10 here: no kernel version known/);
    const odd = linuxForKernel({ version: 'banana', source: '--kernel' });
    expect(odd.policy).toBe(linux610);
    expect(odd.note).toContain('"banana" (--kernel) is not MAJOR.MINOR');
    expect(linuxForKernel({ version: '6.8.0', source: '--kernel' }).note).toBe('linux means linux-6.2 here: kernel 6.8.0 (--kernel)');
    // A release string with control characters (it comes from a file) is quoted, not printed raw.
    expect(linuxForKernel({ version: '6.8.0\x1b[2J', source: 'x' }).note).toBe('linux means linux-6.2 here: kernel "6.8.0\\u001b[2J" (x)');
  });
});

describe('policies are pure', () => {
  test('the same evidence gives the same outcome, and deciding does not change the evidence', () => {
    const g = evidenceOf('qemu-descriptor-bare-metal', { hypervisor: true });
    const before = JSON.stringify(g.evidence, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    for (const p of POLICIES) expect(p.decide(g.evidence)).toEqual(p.decide(g.evidence));
    expect(JSON.stringify(g.evidence, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(before);
  });
});
