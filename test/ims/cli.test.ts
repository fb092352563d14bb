// `dmar ims` and `dmar ims matrix` as users run them: text, JSON, live evidence from a fake machine, bad input.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dmar } from '../helpers.js';
import { fixturePath } from './load.js';

const tmp = mkdtempSync(join(tmpdir(), 'dmar-ims-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake machine under DMAR_ROOT: its DMAR table (optional), /proc/cpuinfo, one IOMMU's cap register. */
function machine(name: string, opts: { table?: string; hypervisor: boolean; cap: string }): string {
  const root = join(tmp, name);
  const put = (rel: string, data: string | Buffer) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
  };
  if (opts.table) {
    mkdirSync(join(root, 'sys/firmware/acpi/tables'), { recursive: true });
    copyFileSync(fixturePath(opts.table), join(root, 'sys/firmware/acpi/tables/DMAR'));
  }
  put('proc/cpuinfo', `processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae${opts.hypervisor ? ' hypervisor' : ''} lahf_lm\n\n`);
  put('sys/class/iommu/dmar0/intel-iommu/cap', `${opts.cap}\n`);
  return root;
}

interface PolicyDoc {
  policy: string;
  proposed: boolean;
  verdict: string;
  rules: { id: string; text: string; verdict: string; uses: string[]; proposed?: boolean }[];
  evidence: Record<string, { value: unknown; source: string; proposed?: boolean }>;
  warnings: string[];
  findings: { severity: string; code: string; message: string }[];
}

describe('dmar ims FILE', () => {
  test('text: the verdict, the rule that fired, the evidence with its sources, proposed things labelled', () => {
    const r = dmar(['ims', fixturePath('qemu-ims-optout')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines).toContain('opt-in (proposed): none');
    expect(r.stdout).toMatch(/rule opt-in\.4 \(proposed\): no descriptor and bare metal is not proven/);
    expect(r.stdout).toMatch(/flags\.imsOptOut \(proposed\) +true +DMAR Flags bit 3 at offset 0x25/);
    expect(r.stdout).toMatch(/oem\.virtualFirmware \(weak\) +true +Oem ID "BOCHS " at offset 0xa/);
    expect(r.stdout).toMatch(/cpu\.hypervisor +unknown +not given/);
    expect(r.stdout).not.toContain('opt-out');
  });

  test('--json: one object with the documented keys', () => {
    const r = dmar(['ims', fixturePath('qemu-descriptor-ims'), '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as PolicyDoc;
    expect(Object.keys(doc)).toEqual(['policy', 'proposed', 'verdict', 'rules', 'evidence', 'warnings', 'findings']);
    expect(doc).toMatchObject({ policy: 'opt-in', proposed: true, verdict: 'virtualized', warnings: [], findings: [] });
    expect(doc.rules).toEqual([expect.objectContaining({ id: 'opt-in.2', verdict: 'virtualized', uses: ['descriptor'], proposed: true })]);
    expect(doc.evidence.descriptor).toEqual({
      value: {
        offset: 72, virtualized: true, hypervisorSignature: 'KVMKVMKVM',
        features: { IMS: true, MSI_COMPOSE: false, REMAPPABLE_DIRECT: false }, unknownFeatures: '0x0',
      },
      source: 'structure type 0x8001 at offset 0x48 (Flags bit 0 at 0x4d, Supported Features at 0x60)',
      proposed: true,
    });
    expect(doc.evidence['cpu.hypervisor']!.value).toBe('unknown');
    expect(Object.keys(doc.evidence)).toEqual([
      'dmar.present', 'flags.intrRemap', 'flags.x2apicOptOut', 'flags.imsOptOut', 'descriptor',
      'cpu.hypervisor', 'iommu.cachingMode', 'oem.virtualFirmware', 'virtEvidence', 'bareMetalProven',
    ]);
  });

  test('--policy all --json: an array, one object per policy in order', () => {
    const r = dmar(['ims', fixturePath('qemu-legacy'), '--policy', 'all', '--json', '--hypervisor']);
    expect(r.status).toBe(0);
    const docs = JSON.parse(r.stdout) as PolicyDoc[];
    expect(docs.map((d) => [d.policy, d.verdict])).toEqual([['opt-in', 'none'], ['opt-out', 'native'], ['firmware-hint', 'none'], ['linux', 'native']]);
    expect(docs.map((d) => d.proposed)).toEqual([true, true, true, false]);
    expect(docs[3]!.rules[0]!.id).toBe('linux.4');
    expect(docs[3]!.rules[0]!.proposed).toBeUndefined();
    expect(docs[3]!.warnings[0]).toContain('caching-mode bit');
  });

  test('--policy all, text: a block per policy, linux naming the kernel conditions it models', () => {
    const r = dmar(['ims', fixturePath('qemu-legacy'), '--policy', 'all', '--caching-mode', 'on']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^(opt-in|opt-out|firmware-hint) \(proposed\): |^linux: /.test(l))).toEqual([
      'opt-in (proposed): none', 'opt-out (proposed): native', 'firmware-hint (proposed): none', 'linux: none',
    ]);
    expect(r.stdout).toMatch(/rule linux\.3: caching mode set .*"vIR" variant without MSI_FLAG_PCI_IMS/);
    expect(r.stdout).toMatch(/iommu\.cachingMode +true +--caching-mode on/);
  });

  test('conflicting evidence: descriptor VIRTUALIZED=0 and --hypervisor -> none and an error, still exit 0', () => {
    const r = dmar(['ims', fixturePath('bare-metal-descriptor'), '--hypervisor']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('opt-in (proposed): none');
    expect(r.stdout).toMatch(/error: the virtualization descriptor \(proposed\) at offset 0x48 asserts bare metal, but cpu.hypervisor is true \[IMS-VIRT-CONFLICT\]/);
    const j = JSON.parse(dmar(['ims', fixturePath('bare-metal-descriptor'), '--hypervisor', '--json']).stdout) as PolicyDoc;
    expect(j.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'IMS-VIRT-CONFLICT' })]);
  });

  test('bare metal with --bare-metal: native; the same with no evidence: none', () => {
    expect(JSON.parse(dmar(['ims', fixturePath('bare-metal'), '--bare-metal', '--json']).stdout).verdict).toBe('native');
    expect(JSON.parse(dmar(['ims', fixturePath('bare-metal'), '--json']).stdout).verdict).toBe('none');
  });

  test('stdin works; a table given as input never brings in the live machine\'s evidence', () => {
    const root = machine('ignored', { hypervisor: true, cap: 'e2' });
    const r = dmar(['ims', '-', '--json'], { input: readFileSync(fixturePath('bare-metal')), env: { DMAR_ROOT: root } });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as PolicyDoc;
    expect(doc.evidence['cpu.hypervisor']!.value).toBe('unknown');
    expect(doc.evidence['iommu.cachingMode']!.value).toBe('unknown');
    expect(doc.evidence['dmar.present']!.source).toBe('table read from stdin');
  });
});

describe('dmar ims on the running machine (DMAR_ROOT)', () => {
  test('live evidence: the table from sysfs, the hypervisor flag, the caching-mode bit', () => {
    const root = machine('vm', { table: 'qemu-legacy', hypervisor: true, cap: 'd2008c40660462' });
    const r = dmar(['ims', '--policy', 'all', '--json'], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(0);
    const docs = JSON.parse(r.stdout) as PolicyDoc[];
    const ev = docs[0]!.evidence;
    expect(ev['dmar.present']!.source).toBe(`table read from ${join(root, 'sys/firmware/acpi/tables/DMAR')}`);
    expect(ev['cpu.hypervisor']).toEqual({ value: true, source: `${join(root, 'proc/cpuinfo')} ("hypervisor" in the flags line)` });
    expect(ev['iommu.cachingMode']).toEqual({ value: false, source: `bit 7 clear in ${join(root, 'sys/class/iommu/dmar0/intel-iommu/cap')}` });
    expect(docs.map((d) => d.verdict)).toEqual(['none', 'native', 'none', 'native']);
    expect(docs[3]!.warnings).toEqual([]);
  });

  test('text names the files the evidence came from', () => {
    const root = machine('vm-text', { table: 'qemu-legacy', hypervisor: true, cap: 'e2' });
    const r = dmar(['ims', '--policy', 'linux'], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('linux: none');
    expect(r.stdout).toContain(`iommu.cachingMode  true  ${join(root, 'sys/class/iommu/dmar0/intel-iommu/cap')} = e2 (bit 7 set)`);
  });

  test('the command line overrides live evidence', () => {
    const root = machine('vm-override', { table: 'bare-metal', hypervisor: true, cap: 'e2' });
    const live = JSON.parse(dmar(['ims', '--json'], { env: { DMAR_ROOT: root } }).stdout) as PolicyDoc;
    expect(live.verdict).toBe('none');
    const r = dmar(['ims', '--json', '--bare-metal', '--caching-mode', 'off'], { env: { DMAR_ROOT: root } });
    const doc = JSON.parse(r.stdout) as PolicyDoc;
    expect(doc.verdict).toBe('native');
    expect(doc.evidence['cpu.hypervisor']!.value).toBe(false);
    expect(doc.evidence['cpu.hypervisor']!.source).toMatch(/^--bare-metal \(overrides .*proc\/cpuinfo .*: true\)$/);
    expect(doc.evidence['iommu.cachingMode']!.source).toMatch(/^--caching-mode off \(overrides .*bit 7 set\): true\)$/);
  });

  test('no DMAR table on the machine: dmar.present=false and rule 1, not an error', () => {
    const root = machine('no-dmar', { hypervisor: false, cap: '0' });
    const r = dmar(['ims', '--policy', 'all', '--json'], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(0);
    const docs = JSON.parse(r.stdout) as PolicyDoc[];
    expect(docs.map((d) => [d.rules[0]!.id, d.verdict])).toEqual([
      ['opt-in.1', 'none'], ['opt-out.1', 'none'], ['firmware-hint.1', 'none'], ['linux.1', 'none'],
    ]);
    expect(docs[0]!.evidence['dmar.present']).toEqual({ value: false, source: `${join(root, 'sys/firmware/acpi/tables/DMAR')} does not exist` });
    const t = dmar(['ims'], { env: { DMAR_ROOT: root } });
    expect(t.status).toBe(0);
    expect(t.stdout).toContain('rule opt-in.1: no DMAR table');
  });
});

describe('bad input and usage', () => {
  test('a malformed table: exit 2, one line naming file and offset', () => {
    const r = dmar(['ims', fixturePath('malformed-truncated')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/malformed-truncated\.bin: offset 0x4 .*runs past the end/);
  });
  test('an unreadable file: exit 2', () => {
    const r = dmar(['ims', join(tmp, 'no-such-file')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no such file');
  });
  test('--hypervisor with --bare-metal, an unknown policy, a bad caching mode: exit 2', () => {
    expect(dmar(['ims', fixturePath('bare-metal'), '--hypervisor', '--bare-metal']).status).toBe(2);
    expect(dmar(['ims', fixturePath('bare-metal'), '--policy', 'yolo']).status).toBe(2);
    expect(dmar(['ims', fixturePath('bare-metal'), '--caching-mode', 'maybe']).status).toBe(2);
  });
});

describe('dmar ims matrix', () => {
  test('text: every scenario, UNSAFE cells, the summary', () => {
    const r = dmar(['ims', 'matrix']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('vm: legacy hypervisor (knows neither proposal), caching mode off (really available: none)');
    expect(r.stdout).toMatch(/^ {2}known +known +none ok +native UNSAFE +none ok +native UNSAFE$/m);
    expect(r.stdout).toMatch(/^opt-out \(proposed\) +8 +0 +32$/m);
    expect(r.stdout).toMatch(/^opt-in \(proposed\) +0 +2 +38$/m);
  });
  test('UNSAFE in red when colour is on', () => {
    const r = dmar(['ims', 'matrix'], { env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toMatch(/\x1b\[31m(\x1b\[1m)?UNSAFE/);
  });
  test('--json after or before the word matrix', () => {
    for (const args of [['ims', 'matrix', '--json'], ['ims', '--json', 'matrix']]) {
      const r = dmar(args);
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout) as { cells: unknown[]; summary: Record<string, { unsafe: number; lost: number; ok: number }> };
      expect(j.cells).toHaveLength(40);
      expect(j.summary['opt-out']!.unsafe).toBeGreaterThan(0);
      expect(j.summary['opt-in']!.unsafe).toBe(0);
    }
  });
  test('options of `dmar ims` do not apply to the matrix: exit 2 with a pointer to ./matrix', () => {
    const r = dmar(['ims', 'matrix', '--policy', 'linux']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--policy does not apply to "dmar ims matrix".*\.\/matrix/);
    expect(dmar(['ims', 'matrix', 'extra']).status).toBe(2);
  });
  test('a table file named matrix is read when given as ./matrix', () => {
    const dir = join(tmp, 'named');
    mkdirSync(dir, { recursive: true });
    copyFileSync(fixturePath('qemu-descriptor-ims'), join(dir, 'matrix'));
    const r = dmar(['ims', './matrix', '--json'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).verdict).toBe('virtualized');
    expect(dmar(['ims', 'matrix', '--json'], { cwd: dir }).stdout).toContain('"summary"');
  });
});
