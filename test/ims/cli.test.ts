// `dmar ims` and `dmar ims matrix` as users run them: text, JSON, live evidence from a fake machine, bad input.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dmar, dmarProcess, ROOT } from '../helpers.js';
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

interface ImsDoc {
  format: string;
  kernel: { version: string; source: string } | null;
  tables: { input: string; decisions?: PolicyDoc[]; expect?: { policy: string; expected: string; verdict: string; ok: boolean }[]; error?: string }[];
  summary: Record<string, Record<string, number>>;
  errors: number;
}

/** The decisions of the one table of a `dmar ims --json` document. */
function decisions(stdout: string): PolicyDoc[] {
  const doc = JSON.parse(stdout) as ImsDoc;
  expect(doc.format).toBe('dmar-ims/1');
  expect(doc.tables).toHaveLength(1);
  return doc.tables[0]!.decisions!;
}
const one = (stdout: string) => decisions(stdout)[0]!;

interface PolicyDoc {
  policy: string;
  requested: string;
  notes: string[];
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
    expect(r.stdout).toMatch(/cpu\.hypervisor \(medium\) +unknown +not given/);
    expect(r.stdout).toMatch(/^ +spoofed: every mainstream hypervisor sets it, but it can be hidden/m);
    expect(r.stdout).not.toContain('opt-out');
  });

  test('--json: one document, one object per policy with the documented keys', () => {
    const r = dmar(['ims', fixturePath('qemu-descriptor-ims'), '--json']);
    expect(r.status).toBe(0);
    const top = JSON.parse(r.stdout) as ImsDoc;
    expect(Object.keys(top)).toEqual(['format', 'kernel', 'tables', 'summary', 'errors']);
    expect(top.summary).toEqual({ 'opt-in': { native: 0, virtualized: 1, none: 0 } });
    const doc = one(r.stdout);
    expect(Object.keys(doc)).toEqual(['policy', 'requested', 'proposed', 'verdict', 'rules', 'ignores', 'evidence', 'warnings', 'findings', 'notes']);
    expect(doc).toMatchObject({ policy: 'opt-in', proposed: true, verdict: 'virtualized', warnings: [], findings: [] });
    expect(doc.rules).toEqual([expect.objectContaining({ id: 'opt-in.2', verdict: 'virtualized', uses: ['descriptor'], proposed: true })]);
    expect(doc.evidence.descriptor).toEqual({
      value: {
        offset: 72,
        virtualized: true,
        hypervisorSignature: 'KVMKVMKVM',
        features: { IMS: true, MSI_COMPOSE: false, REMAPPABLE_DIRECT: false },
        unknownFeatures: '0x0',
      },
      source: 'structure type 0x8001 at offset 0x48 (Flags bit 0 at 0x4d, Supported Features at 0x60)',
      proposed: true,
    });
    expect(doc.evidence['cpu.hypervisor']!.value).toBe('unknown');
    expect(Object.keys(doc.evidence)).toEqual([
      'dmar.present',
      'dmar.linuxRejects',
      'flags.intrRemap',
      'flags.x2apicOptOut',
      'flags.imsOptOut',
      'descriptor',
      'cpu.tdx',
      'cpu.hypervisor',
      'smbios.virtualMachine',
      'dmi.hypervisorVendor',
      'iommu.cachingMode',
      'oem.virtualFirmware',
      'virtEvidence',
      'bareMetalProven',
    ]);
    expect(doc.evidence['cpu.hypervisor']).toMatchObject({ strength: 'medium', spoof: expect.stringContaining('hidden') });
  });

  test('--json has one shape whatever --policy: the same keys for one policy, linux, or all', () => {
    const shape = (args: string[]) => {
      const d = JSON.parse(dmar(['ims', fixturePath('bare-metal'), '--json', ...args]).stdout) as ImsDoc;
      return [Object.keys(d), Object.keys(d.tables[0]!), d.tables[0]!.decisions!.map((x) => Object.keys(x).join())];
    };
    const single = shape([]);
    for (const p of ['opt-out', 'linux', 'linux-6.2', 'all']) {
      const s2 = shape(['--policy', p]);
      expect(s2[0]).toEqual(single[0]);
      expect(s2[1]).toEqual(single[1]);
      for (const k of s2[2]!) expect(k).toBe(single[2]![0]);
    }
  });

  test('--policy all --json: an array, one object per policy in order', () => {
    const r = dmar(['ims', fixturePath('qemu-legacy'), '--policy', 'all', '--json', '--hypervisor']);
    expect(r.status).toBe(0);
    const docs = decisions(r.stdout);
    expect(docs.map((d) => [d.policy, d.verdict])).toEqual([
      ['opt-in', 'none'],
      ['opt-out', 'native'],
      ['firmware-hint', 'none'],
      ['linux-6.2', 'native'],
      ['linux-6.10', 'none'],
    ]);
    expect(docs.map((d) => d.proposed)).toEqual([true, true, true, false, false]);
    expect(docs[3]!.rules[0]!.id).toBe('linux-6.2.4');
    expect(docs[3]!.rules[0]!.proposed).toBeUndefined();
    expect(docs[3]!.warnings[0]).toContain('caching-mode bit');
  });

  test('--policy all, text: a block per policy, linux naming the kernel conditions it models', () => {
    const r = dmar(['ims', fixturePath('qemu-legacy'), '--policy', 'all', '--caching-mode', 'on']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^(opt-in|opt-out|firmware-hint) \(proposed\): |^linux-[0-9.]+: /.test(l))).toEqual([
      'opt-in (proposed): none',
      'opt-out (proposed): native',
      'firmware-hint (proposed): none',
      'linux-6.2: none',
      'linux-6.10: none',
    ]);
    expect(r.stdout).toMatch(/rule linux-6\.2\.3: caching mode set .*"vIR" variant without MSI_FLAG_PCI_IMS/);
    expect(r.stdout).toMatch(/rule linux-6\.10\.1: this kernel has no PCI\/IMS support \(removed in 6\.10\) -> none/);
    expect(r.stdout).toMatch(/iommu\.cachingMode \(weak\) +true +--caching-mode on/);
  });

  test('--policy linux: --kernel picks linux-6.2 or linux-6.10; with no version linux-6.10 and a note', () => {
    const pick = (args: string[]) => one(dmar(['ims', fixturePath('bare-metal'), '--policy', 'linux', '--caching-mode', 'off', '--json', ...args]).stdout);
    expect(pick(['--kernel', '6.8.0-45-generic'])).toMatchObject({ policy: 'linux-6.2', requested: 'linux', verdict: 'native' });
    expect(pick(['--kernel', '6.12.48'])).toMatchObject({ policy: 'linux-6.10', requested: 'linux', verdict: 'none' });
    expect(pick(['--kernel', '5.15.0'])).toMatchObject({ policy: 'linux-pre-6.2', verdict: 'none' });
    const d = pick([]);
    expect(d).toMatchObject({ policy: 'linux-6.10', requested: 'linux' });
    expect(d.notes[0]).toMatch(/^linux means linux-6.10 here: no kernel version known/);
    const t = dmar(['ims', fixturePath('bare-metal'), '--policy', 'linux', '--kernel', '6.9']);
    expect(t.stdout).toContain('linux-6.2 (as linux): native');
    expect(t.stdout).toContain('note: linux means linux-6.2 here: kernel 6.9 (--kernel)');
  });

  test('conflicting evidence: descriptor VIRTUALIZED=0 and --hypervisor -> none and an error, still exit 0', () => {
    const r = dmar(['ims', fixturePath('bare-metal-descriptor'), '--hypervisor']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('opt-in (proposed): none');
    expect(r.stdout).toMatch(
      /error: the virtualization descriptor \(proposed\) at offset 0x48 asserts bare metal, but cpu.hypervisor is true \[IMS-VIRT-CONFLICT\]/,
    );
    const j = one(dmar(['ims', fixturePath('bare-metal-descriptor'), '--hypervisor', '--json']).stdout);
    expect(j.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'IMS-VIRT-CONFLICT', proposed: true })]);
  });

  test('a descriptor longer than 32 bytes: read, with a warning (validate calls it DMAR-VIRT-LENGTH)', () => {
    const j = one(dmar(['ims', join(ROOT, 'fixtures/invalid/DMAR-VIRT-LENGTH.bin'), '--json']).stdout);
    expect(j.warnings).toContain("descriptor (proposed) at 0x88: Length 36, the proposal's descriptor is 32 bytes; its first 32 read as such");
  });

  test('bare metal with --bare-metal: native; the same with no evidence: none', () => {
    expect(one(dmar(['ims', fixturePath('bare-metal'), '--bare-metal', '--json']).stdout).verdict).toBe('native');
    expect(one(dmar(['ims', fixturePath('bare-metal'), '--json']).stdout).verdict).toBe('none');
  });

  test("stdin works; a table given as input never brings in the live machine's evidence", () => {
    const root = machine('ignored', { hypervisor: true, cap: 'e2' });
    const r = dmar(['ims', '-', '--json'], { input: readFileSync(fixturePath('bare-metal')), env: { DMAR_ROOT: root } });
    expect(r.status).toBe(0);
    const doc = one(r.stdout);
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
    const docs = decisions(r.stdout);
    const ev = docs[0]!.evidence;
    expect(ev['dmar.present']!.source).toBe(`table read from ${join(root, 'sys/firmware/acpi/tables/DMAR')}`);
    expect(ev['cpu.hypervisor']).toMatchObject({ value: true, source: `${join(root, 'proc/cpuinfo')} ("hypervisor" in the flags line)` });
    expect(ev['iommu.cachingMode']).toMatchObject({ value: false, source: `bit 7 clear in ${join(root, 'sys/class/iommu/dmar0/intel-iommu/cap')}` });
    expect(docs.map((d) => d.verdict)).toEqual(['none', 'native', 'none', 'native', 'none']);
    expect(docs[3]!.warnings).toEqual([]);
  });

  test('text names the files the evidence came from', () => {
    const root = machine('vm-text', { table: 'qemu-legacy', hypervisor: true, cap: 'e2' });
    const r = dmar(['ims', '--policy', 'linux-6.2'], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('linux-6.2: none');
    expect(r.stdout).toContain(`iommu.cachingMode (weak)  true  ${join(root, 'sys/class/iommu/dmar0/intel-iommu/cap')} = e2 (bit 7 set)`);
  });

  test('the command line overrides live evidence', () => {
    const root = machine('vm-override', { table: 'bare-metal', hypervisor: true, cap: 'e2' });
    const live = one(dmar(['ims', '--json'], { env: { DMAR_ROOT: root } }).stdout);
    expect(live.verdict).toBe('none');
    const r = dmar(['ims', '--json', '--bare-metal', '--caching-mode', 'off'], { env: { DMAR_ROOT: root } });
    const doc = one(r.stdout);
    expect(doc.verdict).toBe('native');
    expect(doc.evidence['cpu.hypervisor']!.value).toBe(false);
    expect(doc.evidence['cpu.hypervisor']!.source).toMatch(/^--bare-metal \(overrides .*proc\/cpuinfo .*: true\)$/);
    expect(doc.evidence['iommu.cachingMode']!.source).toMatch(/^--caching-mode off \(overrides .*bit 7 set\): true\)$/);
  });

  test('no DMAR table on the machine: dmar.present=false and rule 1, not an error', () => {
    const root = machine('no-dmar', { hypervisor: false, cap: '0' });
    const r = dmar(['ims', '--policy', 'all', '--json'], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(0);
    const docs = decisions(r.stdout);
    expect(docs.map((d) => [d.rules[0]!.id, d.verdict])).toEqual([
      ['opt-in.1', 'none'],
      ['opt-out.1', 'none'],
      ['firmware-hint.1', 'none'],
      ['linux-6.2.1', 'none'],
      ['linux-6.10.1', 'none'],
    ]);
    for (const d of docs.slice(0, 4)) expect(d.rules[0]!.text).toContain('no DMAR: not an Intel VT-d platform (AMD IVRS is not modelled)');
    expect(docs[0]!.evidence['dmar.present']).toEqual({ value: false, source: `${join(root, 'sys/firmware/acpi/tables/DMAR')} does not exist` });
    const t = dmar(['ims'], { env: { DMAR_ROOT: root } });
    expect(t.status).toBe(0);
    expect(t.stdout).toContain('rule opt-in.1: no DMAR: not an Intel VT-d platform (AMD IVRS is not modelled)');
  });
});

describe('dmar ims --machine (a capture: manifest.json and root/)', () => {
  const CAPTURE = join(ROOT, 'test/ims/capture-qemu');
  test('the table, every machine signal and the kernel come from the capture', () => {
    const r = dmar(['ims', '--machine', CAPTURE, '--policy', 'all', '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as ImsDoc;
    expect(doc.kernel).toEqual({ version: '6.8.0-45-generic', source: join(CAPTURE, 'root/proc/sys/kernel/osrelease') });
    const ev = doc.tables[0]!.decisions![0]!.evidence;
    expect(ev['dmar.present']!.source).toBe(`table read from ${join(CAPTURE, 'root/sys/firmware/acpi/tables/DMAR')}`);
    expect(ev['cpu.tdx']!.value).toBe(false);
    expect(ev['cpu.hypervisor']!.value).toBe(true);
    expect(ev['smbios.virtualMachine']).toMatchObject({ value: true, strength: 'medium' });
    expect(ev['smbios.virtualMachine']!.source).toContain('BIOS Characteristics Extension Byte 2 at 0x13 is 0x14 (bit 4 set)');
    expect(ev['dmi.hypervisorVendor']!.source).toMatch(/sys_vendor = "QEMU": QEMU$/);
    expect(ev['iommu.cachingMode']!.value).toBe(false);
    expect(ev.virtEvidence!.source).toBe('cpu.hypervisor, smbios.virtualMachine, dmi.hypervisorVendor, oem.virtualFirmware are true');
    const linux = one(dmar(['ims', '--machine', CAPTURE, '--policy', 'linux', '--json']).stdout);
    expect(linux).toMatchObject({ policy: 'linux-6.2', requested: 'linux', verdict: 'native' });
  });
  test('a table file with the machine of a capture; the command line still overrides', () => {
    const r = dmar(['ims', fixturePath('bare-metal'), '--machine', CAPTURE, '--bare-metal', '--json']);
    const d = one(r.stdout);
    expect(d.evidence['dmar.present']!.source).toContain('bare-metal.bin');
    expect(d.evidence['cpu.hypervisor']!.source).toMatch(/^--bare-metal \(overrides .*cpuinfo.*: true\)$/);
    expect(d.verdict).toBe('none'); // the SMBIOS bit and the DMI vendor still say VM
    const t = dmar(['ims', '--machine', CAPTURE]);
    expect(t.stdout.split('\n')[0]).toBe(`evidence from the capture ${CAPTURE} (${join(CAPTURE, 'root/sys/firmware/acpi/tables/DMAR')})`);
  });
  test('not a capture directory: exit 2, one line', () => {
    const r = dmar(['ims', '--machine', tmp]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a capture directory/);
  });
});

describe('dmar ims DIR and --expect', () => {
  const MATRIX = join(ROOT, 'fixtures/ims/matrix');
  test('one row per table and policy, then the count of each verdict per policy', () => {
    const r = dmar(['ims', MATRIX, '--policy', 'all', '--bare-metal']);
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith(MATRIX));
    expect(rows).toHaveLength(9 * 5);
    expect(rows[0]).toMatch(/bare-metal-descriptor\.bin +opt-in +native +opt-in\.3$/);
    expect(r.stdout).toMatch(/^summary: 9 tables$/m);
    expect(r.stdout).toMatch(/^ {2}opt-out \(proposed\) +6 native +1 virtualized +2 none$/m);
  });
  test("under a table's row, what its decision found and warned of: opt-in's conflict error, a second descriptor", () => {
    const r = dmar(['ims', join(ROOT, 'fixtures/ims')]);
    const lines = r.stdout.split('\n');
    const at = (name: string) => lines.findIndex((l) => l.includes(`/${name} `));
    const conflict = at('qemu-descriptor-bare-metal.bin');
    expect(lines[conflict]).toMatch(/opt-in +none +opt-in\.3$/);
    expect(lines[conflict + 1]).toMatch(/^ {4}error: the virtualization descriptor \(proposed\) at offset 0x48 asserts bare metal, .*\[IMS-VIRT-CONFLICT\]$/);
    expect(lines[at('two-descriptors.bin') + 1]).toMatch(/^ {4}warning: 2 virtualization descriptors \(proposed\) at offsets 0x48, 0x68/);
    // a decision with nothing to say has no line under it
    expect(lines[at('qemu-legacy.bin') + 1]).toMatch(/two-descriptors\.bin/);
  });

  test('JSON: the same document as for one table, a summary over all', () => {
    const doc = JSON.parse(dmar(['ims', MATRIX, '--json', '--policy', 'firmware-hint']).stdout) as ImsDoc;
    expect(doc.tables).toHaveLength(9);
    expect(doc.summary).toEqual({ 'firmware-hint': { native: 2, virtualized: 2, none: 5 } });
  });
  test('--expect POLICY=VERDICT: exit 1 and a line per table that differs; 0 when all agree', () => {
    const bad = dmar(['ims', MATRIX, '--expect', 'opt-in=none']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(4);
    expect(bad.stderr).toMatch(/^dmar: expect opt-in=none: .*vm-descriptor-ims\.bin: opt-in says virtualized \(rule opt-in\.2\)$/m);
    const good = dmar(['ims', fixturePath('qemu-descriptor-ims'), '--expect', 'opt-in=virtualized', '--expect', 'linux=none']);
    expect(good.status).toBe(0);
    expect(good.stderr).toBe('');
    const j = JSON.parse(dmar(['ims', fixturePath('qemu-descriptor-ims'), '--json', '--expect', 'opt-out=native']).stdout) as ImsDoc;
    expect(j.tables[0]!.expect).toEqual([expect.objectContaining({ policy: 'opt-out', expected: 'native', verdict: 'virtualized', ok: false })]);
    expect(dmar(['ims', fixturePath('bare-metal'), '--expect', 'opt-in=maybe']).status).toBe(2);
    expect(dmar(['ims', fixturePath('bare-metal'), '--expect', 'nope=none']).status).toBe(2);
  });
  test('a directory with a malformed table: its row says why, the others are decided, exit 2', () => {
    const r = dmar(['ims', join(ROOT, 'fixtures/ims')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/malformed-truncated\.bin +error: .*runs past the end/);
    expect(r.stdout).toMatch(/qemu-legacy\.bin +opt-in +none +opt-in\.4/);
    expect(r.stderr).toMatch(/malformed-truncated\.bin: offset 0x4/);
    // the row and the JSON name the input once (the error repeated the file name)
    expect(r.stdout).toMatch(/malformed-truncated\.bin +error: offset 0x4 \(4\): /);
    const j = JSON.parse(dmar(['ims', join(ROOT, 'fixtures/ims'), '--json']).stdout) as { tables: { input: string; error?: string }[] };
    const bad = j.tables.find((t) => t.error !== undefined)!;
    expect(bad.input).toMatch(/malformed-truncated\.bin$/);
    expect(bad.error).toMatch(/^offset 0x4 \(4\): Table Length \d+ runs past the end/);
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
    expect(r.stdout).toMatch(/^ {2}known: set +known: off +none ok +native UNSAFE +none ok +native UNSAFE +none ok$/m);
    expect(r.stdout).toMatch(/^opt-out \(proposed\) +32 +0 +32 +16$/m);
    expect(r.stdout).toMatch(/^opt-in \(proposed\) +6 +2 +56 +6$/m);
  });
  test('UNSAFE in red when colour is on', () => {
    const r = dmarProcess(['ims', 'matrix'], { env: { FORCE_COLOR: '1' } });
    expect(r.stdout).toMatch(/\x1b\[31m(\x1b\[1m)?UNSAFE/);
  });
  test('--json after or before the word matrix', () => {
    for (const args of [
      ['ims', 'matrix', '--json'],
      ['ims', '--json', 'matrix'],
    ]) {
      const r = dmar(args);
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout) as { cells: unknown[]; summary: Record<string, { unsafe: number; lost: number; ok: number }> };
      expect(j.cells).toHaveLength(64);
      expect(j.summary['opt-out']!.unsafe).toBe(32);
      expect(j.summary['opt-in']!.unsafe).toBe(6);
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
    expect(one(r.stdout).verdict).toBe('virtualized');
    expect(dmar(['ims', 'matrix', '--json'], { cwd: dir }).stdout).toContain('"summary"');
  });
});
