// dmar report (the HTML page, checked as text here; in a real browser in browser.test.ts) and dmar map.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { htmlText } from '../../src/acpi/escape.js';
import { html } from '../../src/report/html.js';
import { brokenScale, memoryPicture } from '../../src/report/memory.js';
import { decodeDmar } from '../../src/dmar/decode.js';
import { readMachine } from '../../src/machine/facts.js';
import { ACPIDUMPS, CORPUS, dmar, HAVE_CORPUS } from '../helpers.js';
import { hostileTable } from './tables.js';
import { manyDrhds } from '../dmar/validate/tables.js';

const cap = (name: string) => `fixtures/machine/${name}/capture`;
const tmp = mkdtempSync(join(tmpdir(), 'dmar-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('escaping', () => {
  test('one function escapes the five characters that matter in content and quoted attributes', () => {
    expect(htmlText(`<a href="x" title='y'>&amp;</a>`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;');
    expect(html`<p title="${'"><script>'}">${'</p><img src=x>'}</p>`.text).toBe('<p title="&#34;&#62;&#60;script&#62;">&#60;/p&#62;&#60;img src=x&#62;</p>');
  });

  test('firmware strings and file names from input reach the page escaped', () => {
    const file = join(tmp, 'a<img src=x>.dmar');
    writeFileSync(file, hostileTable());
    const out = join(tmp, 'hostile.html');
    const r = dmar(['report', file, '--machine', cap('server-rmrr-nvs'), '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).not.toContain('<img src=x>');
    expect(page).not.toContain('<b>&');
    expect(page).toContain('a&#60;img src=x&#62;.dmar');
    expect(page).toContain('&#60;b&#62;&#38;');
  });
  test('an ANDD Device Name is escaped once, as decode shows it (its backslash is not doubled)', () => {
    const page = dmar(['report', 'fixtures/server-2s.bin']).stdout;
    expect(page).toContain('Device Name</td><td class="mono">&#34;\\_SB.PC00.UAR1&#34;');
    expect(page).not.toContain('\\\\_SB');
  });
});

describe('names and values from the machine, as the text commands give them (an audit found the page apart)', () => {
  test("a non-ASCII file name stays its letters, a log's memory-map type is escaped as map escapes it", () => {
    const file = join(tmp, 'tablé-日本.bin');
    writeFileSync(file, readFileSync('fixtures/desktop-legacy.bin'));
    const log = join(tmp, 'odd-type.log');
    writeFileSync(
      log,
      Buffer.concat([
        Buffer.from('[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n'),
        Buffer.from('[    0.000000] BIOS-e820: [mem 0x00000000000a0000-0x00000000000fffff] x'),
        Buffer.from([0xff, 0xfe, 0x20, 0xe2, 0x80, 0xae]),
        Buffer.from('\n'),
      ]),
    );
    const page = dmar(['report', file, '--dmesg', log]).stdout;
    expect(page).toContain(`<title>DMAR report: ${file}`);
    expect(page).not.toContain('tabl\\xe9');
    expect(dmar(['topology', file]).stdout.split('\n')[0]).toBe(file);
    expect(dmar(['map', file, '--dmesg', log]).stdout).toContain('x\\xff\\xfe \\xe2\\x80\\xae');
    expect(page).toContain('x\\xff\\xfe \\xe2\\x80\\xae');
    expect(page).not.toContain('xÿþ');
  });

  test('the IOMMU group Linux formed is shown beside the prediction, as topology shows it', () => {
    const dir = join(tmp, 'groups');
    cpSync(cap('server-rmrr-nvs'), dir, { recursive: true });
    const devices = join(dir, 'root/sys/bus/pci/devices');
    for (const d of readdirSync(devices)) writeFileSync(join(devices, d, 'iommu_group'), '../../../kernel/iommu_groups/7');
    expect(dmar(['topology', '--machine', dir]).stdout).toMatch(/0000:02:00\.0 .*group 10 \(Linux: 7\)/);
    expect(dmar(['report', '--machine', dir]).stdout).toMatch(
      /<code>0000:02:00\.0<\/code>[^<]*<span class="kind">network[\s\S]*?group 10<sup>\*<\/sup> \(Linux: 7\)<\/span><\/li>/,
    );
  });
});

describe('dmar report', () => {
  test('the server capture: one self-contained page with every part', () => {
    const out = join(tmp, 'server.html');
    const r = dmar(['report', '--machine', cap('server-rmrr-nvs'), '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const page = readFileSync(out, 'utf8');
    for (const id of ['summary', 'topology', 'memory', 'findings', 'bytes']) expect(page).toContain(`<section id="${id}">`);
    // nothing fetched: no external script, style sheet, font, image or link
    expect(page).not.toMatch(/\b(src|href)="(?!#)/);
    expect(page).not.toMatch(/@import|url\(|@font-face/);
    // the finding, linked to its bytes (RMRR #1 Base Address, 8 bytes at 0x60)
    expect(page).toMatch(/<code>DMAR-RMRR-NOT-RESERVED<\/code>/);
    expect(page).toContain('<a class="fl" href="#x0060" data-o="96" data-n="8"');
    // the RMRR-locked NIC functions and the relaxable USB controller, groups labelled a prediction
    expect(page.match(/RMRR-locked: VFIO refuses it/g)?.length).toBe(5);
    expect(page).toContain('VFIO: ok, RMRR relaxable (USB/graphics)');
    expect(page).toMatch(/IOMMU groups <span class="badge info">prediction<\/span>/);
    // the summary: counts by severity and each IMS policy
    expect(page).toMatch(/<b>1<\/b> error/);
    for (const p of ['opt-in', 'opt-out', 'firmware-hint', 'linux']) expect(page).toContain(`<tr><th>${p}`);
    // one shape per RMRR and per register window; the RMRR Linux rejects is red
    expect(page.match(/<rect data-lane="rmrr" class="rmrr /g)?.length).toBe(2);
    expect(page.match(/<rect data-lane="drhd" class="drhd"/g)?.length).toBe(1);
    expect(page).toMatch(/<rect data-lane="rmrr" class="rmrr not-reserved" [^>]*><title>RMRR #1: 0x000000006f760000-0x000000006f762fff/);
  });

  test("each IMS policy's findings and warnings under its verdict: opt-in's conflict error, linux-6.2's assumed caching mode", () => {
    const page = dmar(['report', 'fixtures/ims/qemu-descriptor-bare-metal.bin']).stdout;
    const ims = page.slice(page.indexOf('<table class="ims">'), page.indexOf('</table>', page.indexOf('<table class="ims">')));
    expect(ims).toMatch(
      /opt-in <span class="muted">\(proposed\)<\/span><\/th><td><span class="badge v-none">none<\/span> <span class="muted">opt-in\.3<\/span><ul class="notes"><li><span class="badge error">error<\/span> the virtualization descriptor \(proposed\) at offset 0x48 asserts bare metal/,
    );
    expect(ims).toContain('[IMS-VIRT-CONFLICT]');
    expect(ims).toMatch(/linux-6\.2<\/th>.*<span class="badge warning">warning<\/span> Linux reads the caching-mode bit/);
  });

  test('same output on stdout without -o; a table alone has no memory-map lane and no verdict', () => {
    const r = dmar(['report', 'fixtures/server-2s.bin']);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(r.stdout).not.toContain('data-lane="map"');
    expect(r.stdout).toContain('data-lane="rmrr"');
    expect(r.stdout).toContain('no firmware memory map');
  });

  test('bad input: one line, exit 2, and no file left behind', () => {
    const bad = join(tmp, 'bad.dmar');
    writeFileSync(bad, Buffer.from('DMAR\x10\x00'));
    const dir = mkdtempSync(join(tmp, 'out-'));
    const r = dmar(['report', bad, '-o', join(dir, 'r.html')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(bad);
    expect(readdirSync(dir)).toEqual([]);
    const none = dmar(['report', '--machine', cap('vm-no-dmar'), '-o', join(dir, 'r.html')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no DMAR table/);
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });

  test.runIf(HAVE_CORPUS)('under 300 KB for the largest real table with a machine capture, and for the largest acpidump', () => {
    const largest = readdirSync(CORPUS)
      .filter((f) => f.endsWith('.dmar'))
      .map((f) => join(CORPUS, f))
      .sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    const r = dmar(['report', largest, '--machine', cap('server-rmrr-nvs')]);
    expect(r.status).toBe(0);
    expect(r.stdoutBytes.length).toBeLessThan(300 * 1024);
    const dumps = readdirSync(ACPIDUMPS)
      .map((f) => join(ACPIDUMPS, f))
      .sort((a, b) => readFileSync(b).length - readFileSync(a).length);
    const d = dmar(['report', dumps[0]!, '--machine', cap('server-rmrr-nvs')]);
    expect(d.status).toBe(0);
    expect(d.stdoutBytes.length).toBeLessThan(300 * 1024);
  });
});

describe('the memory picture', () => {
  test("RMRR verdicts over the capture map: the one in ACPI NVS rejected under 5.10's rule, the reserved one accepted", () => {
    const root = join(cap('server-rmrr-nvs'), 'root');
    const table = decodeDmar(readFileSync(join(root, 'sys/firmware/acpi/tables/DMAR')), { strict: false }).table;
    const p = memoryPicture(table, readMachine(root, 'server'));
    const rmrrs = p.shapes.filter((s) => s.lane === 'rmrr');
    expect(rmrrs.map((s) => [s.label, s.kind])).toEqual([
      ['RMRR #1', 'not-reserved'],
      ['RMRR #2', 'reserved-ok'],
    ]);
    expect(p.shapes.filter((s) => s.lane === 'drhd').map((s) => [s.start, s.end])).toEqual([[0xfbffc000n, 0xfbffcfffn]]);
    expect(p.shapes.filter((s) => s.lane === 'map')).toHaveLength(12);
  });

  test('the broken scale keeps address order, shows a 4 KiB window beside a 62 GiB range, and narrows gaps', () => {
    const shapes = [
      { lane: 'map' as const, start: 0n, end: 0xfffn, label: 'a', kind: 'ram' as const },
      { lane: 'map' as const, start: 0x100000000n, end: 0x107fffffffn, label: 'b', kind: 'ram' as const },
    ];
    const s = brokenScale(shapes, 0, 1000);
    expect(s.x(0n)).toBe(0);
    expect(s.x(0x1000n)).toBeGreaterThan(20);
    expect(s.gaps).toHaveLength(1);
    expect(s.x(0x1080000000n)).toBeCloseTo(1000, 6);
    expect(s.x(0x1080000000n) - s.x(0x100000000n)).toBeGreaterThan(s.x(0x1000n) - s.x(0n));
  });

  test('a hundred scattered RMRRs and a hundred adjacent ones: every position in address order and inside the picture (the gaps took more than the width)', () => {
    const rmrr = (start: bigint, size: bigint, i: number) => ({
      lane: 'rmrr' as const,
      start,
      end: start + size - 1n,
      label: `RMRR #${i}`,
      kind: 'unknown' as const,
    });
    const shapes = [
      ...Array.from({ length: 100 }, (_, i) => rmrr(0x10000000n + BigInt(i) * 0x100000n, 0x1000n, i + 1)),
      ...Array.from({ length: 100 }, (_, i) => rmrr(0x80000000n + BigInt(i) * 0x1000n, 0x1000n, i + 101)),
    ];
    const s = brokenScale(shapes, 0, 1000);
    const xs = s.ticks.map((t) => t.x);
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!);
    expect(xs[0]).toBe(0);
    expect(xs[xs.length - 1]!).toBeCloseTo(1000, 6);
  });
});

describe('dmar map', () => {
  test('an RMRR ending below its base and a register window past 2^64 say so (a made-up range, a 17-digit end)', () => {
    const doc = JSON.parse(dmar(['decode', '--format', 'json', 'fixtures/desktop-legacy.bin']).stdout);
    const rmrr = doc.structures.find((s: { kind: string }) => s.kind === 'RMRR');
    Object.assign(rmrr, { baseAddress: '0x2000', endAddress: '0x1000' });
    const drhd = doc.structures.find((s: { kind: string }) => s.kind === 'DRHD');
    Object.assign(drhd, { registerBaseAddress: '0xfffffffffffff000', size: { pagesLog2: 15 } });
    const src = join(tmp, 'edge.json');
    writeFileSync(src, JSON.stringify(doc));
    const bin = join(tmp, 'edge.bin');
    expect(dmar(['encode', src, '-o', bin]).status).toBe(0);
    const text = dmar(['map', bin]).stdout;
    expect(text).toContain('RMRR #1   no verdict  End Address 0x1000 is below its Base Address: no range, drawn at its base\n');
    expect(text).toContain(
      '0xfffffffffffff000-0xffffffffffffffff     4 KiB    DRHD #1   registers  the 131072 KiB from 0xfffffffffffff000 run past the 64-bit address space: drawn to its end\n',
    );
    expect(text).not.toMatch(/0x1[0-9a-f]{16}/);
    const page = dmar(['report', bin]).stdout;
    expect(page).toContain('End Address 0x1000 is below its Base Address');
    expect(page).not.toMatch(/0x1[0-9a-f]{16}/);
  });

  test('the server capture: the map with the rejected RMRR and the register window in address order', () => {
    const r = dmar(['map', '--machine', cap('server-rmrr-nvs')]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const i = lines.findIndex((l) => l.includes('RMRR #1'));
    expect(lines[i]).toMatch(
      /^0x000000006f760000-0x000000006f762fff +12 KiB +RMRR #1 +NOT RESERVED +overlaps \[0x6ebff000-0x6f9fefff\] ACPI Non-volatile Storage$/,
    );
    expect(lines[i - 1]).toContain('ACPI Non-volatile Storage');
    expect(r.stdout).toMatch(/^0x00000000fbffc000-0x00000000fbffcfff +4 KiB +DRHD #1 +registers$/m);
    expect(r.stdout).toContain('note: RMRR verdicts: Linux 5.5 to 6.0');
  });

  test.runIf(HAVE_CORPUS)('a real boot log as the map: the verdicts of validate --dmesg (Surface Pro 3: both RMRRs rejected; IdeaPad 320: none)', () => {
    const verdicts = (id: string, log: string) => {
      const r = dmar(['map', join(CORPUS, `${id}.dmar`), '--dmesg', join('fixtures/logs', log), '--json']);
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout)
        .shapes.filter((s: { lane: string }) => s.lane === 'rmrr')
        .map((s: { label: string; kind: string }) => [s.label, s.kind]);
    };
    expect(verdicts('074C5C2E091B', 'surface-pro-3.log')).toEqual([
      ['RMRR #1', 'not-reserved'],
      ['RMRR #2', 'not-reserved'],
    ]);
    expect(verdicts('35D8FF8B7006', 'ideapad-320-15isk.log')).toEqual([
      ['RMRR #1', 'reserved-ok'],
      ['RMRR #2', 'reserved-ok'],
    ]);
    const page = dmar(['report', join(CORPUS, '074C5C2E091B.dmar'), '--dmesg', 'fixtures/logs/surface-pro-3.log']);
    expect(page.status).toBe(0);
    expect(page.stdout.match(/<rect data-lane="rmrr" class="rmrr not-reserved"/g)).toHaveLength(2);
    expect(page.stdout.match(/<code>DMAR-RMRR-NOT-RESERVED<\/code>/g)).toHaveLength(2);
  });

  test('--json', () => {
    const r = dmar(['map', '--machine', cap('server-rmrr-nvs'), '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.format).toBe('dmar-map/1');
    expect(j.shapes.find((s: { label: string }) => s.label === 'RMRR #1')).toMatchObject({
      lane: 'rmrr',
      start: '0x6f760000',
      end: '0x6f762fff',
      kind: 'not-reserved',
    });
  });
});

describe('every invalid fixture', () => {
  test('renders a page (each finding linked to bytes inside the table) or is rejected as a DmarError, never a crash', async () => {
    const { reportData, renderReport } = await import('../../src/report/index.js');
    const { sourceFromBytes } = await import('../../src/io/input.js');
    const { DmarError } = await import('../../src/dmar/errors.js');
    const dir = 'fixtures/invalid';
    let pages = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.bin'))) {
      const bytes = readFileSync(join(dir, f));
      let page: string;
      try {
        page = renderReport(reportData({ source: sourceFromBytes(bytes, f, 'binary') }));
      } catch (e) {
        expect(e, f).toBeInstanceOf(DmarError);
        continue;
      }
      pages++;
      for (const m of page.matchAll(/<a class="fl" href="#x([0-9a-f]{4})" data-o="(\d+)" data-n="(\d+)"/g)) {
        const o = Number(m[2]);
        expect(o + Number(m[3]), f).toBeLessThanOrEqual(bytes.length);
        expect(parseInt(m[1]!, 16), f).toBe(o - (o % 16));
      }
    }
    expect(pages).toBeGreaterThan(50);
  });
});

describe('a table no firmware writes keeps the page small', () => {
  const manyDrhdsFile = (n: number) => {
    const f = join(tmp, `drhd-${n}.bin`);
    writeFileSync(f, manyDrhds(n));
    return f;
  };

  test('5,000 DRHDs: the bytes to 16 KiB, 2,048 units and register sets; the page says what it left out', () => {
    const out = join(tmp, 'many.html');
    const r = dmar(['--max-input', '4M', 'report', manyDrhdsFile(5000), '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('The table is 80048 bytes: the first 16384 are shown here, with the 1021 of its 5000 structures that start in them');
    expect(page).toContain('and 2952 more units (<code>dmar topology</code> lists them all)');
    expect(page).toContain('Not drawn: 2952 DRHD register sets past the first 2048 of their lane');
    expect(page.match(/<rect data-lane="drhd"/g)).toHaveLength(2048);
    expect(page.match(/<div class="r" id=/g)).toHaveLength(1024);
    // a few MB, where every byte and shape made some 11 MB at this size (138 MB at 65,000 DRHDs)
    expect(page.length).toBeLessThan(3_000_000);
  });

  test('thousands of scopes in a few units: 2,048 listed in all; a finding past the bytes shown is named, not linked', () => {
    // 2 DRHDs of 1,500 IOAPIC scopes each (8 bytes apiece), then an RMRR whose end is below its base (a finding past 16 KiB)
    const scopes = 1500;
    const drhdLen = 16 + 8 * scopes;
    const b = Buffer.alloc(48 + 2 * drhdLen + 24);
    b.write('DMAR', 0, 'latin1');
    b.writeUInt32LE(b.length, 4);
    b[8] = 1;
    b[36] = 45;
    for (let d = 0; d < 2; d++) {
      const o = 48 + d * drhdLen;
      b.writeUInt16LE(drhdLen, o + 2);
      b.writeUInt16LE(d, o + 6);
      b.writeBigUInt64LE(0xfed90000n + 0x1000n * BigInt(d), o + 8);
      for (let i = 0; i < scopes; i++) {
        const so = o + 16 + 8 * i;
        b[so] = 3; // IOAPIC
        b[so + 1] = 8;
        b[so + 4] = (i % 250) + 1;
        b[so + 6] = 0x1f;
      }
    }
    const r = 48 + 2 * drhdLen;
    b.writeUInt16LE(1, r);
    b.writeUInt16LE(24, r + 2);
    b.writeBigUInt64LE(0x7c000000n, r + 8);
    b.writeBigUInt64LE(0x7b000fffn, r + 16);
    let sum = 0;
    for (const x of b) sum += x;
    b[9] = (256 - (sum & 0xff)) & 0xff;
    const f = join(tmp, 'scopes.bin');
    writeFileSync(f, b);
    const out = join(tmp, 'scopes.html');
    const res = dmar(['report', f, '-o', out]);
    expect(res.status, res.stderr).toBe(0);
    const page = readFileSync(out, 'utf8');
    const topology = page.slice(page.indexOf('<section id="topology">'), page.indexOf('<section id="memory">'));
    expect(topology.match(/<li class="scope mono">/g)).toHaveLength(2048);
    expect(topology).toContain('and 952 more scopes (<code>dmar topology</code> lists them all)');
    // the RMRR's finding points past the 16 KiB shown: its bytes named, no link to a row that is not there
    const findings = page.slice(page.indexOf('<section id="findings">'), page.indexOf('<section id="bytes">'));
    expect(findings).toContain(`past the 16384 bytes shown`);
    for (const m of findings.matchAll(/href="#x([0-9a-f]+)"/g)) expect(Number.parseInt(m[1]!, 16)).toBeLessThan(16384);
  });

  test('a real table: nothing left out, nothing said', () => {
    const out = join(tmp, 'server.html');
    expect(dmar(['report', 'fixtures/server-2s.bin', '-o', out]).status).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).not.toContain('are shown here, with the');
    expect(page).not.toContain('Not drawn:');
    expect(page).not.toContain('lists them all');
  });
});
