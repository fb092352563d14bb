// The JUnit report must load in a real consumer: parse it with fast-xml-parser and check the
// structure (testsuites/testsuite/testcase/failure) and that every count attribute agrees.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, test } from 'vitest';
import { encodeDmar } from '../../../src/dmar/encode.js';
import { fromJson } from '../../../src/dmar/codec/json.js';
import { CHECKS } from '../../../src/dmar/validate/index.js';
import { invalidDoc, invalidFixture } from '../../../tools/fixtures/invalid.js';
import { dmar, FIXTURES } from '../../helpers.js';
import { acpidumpText, madtWithIoapics } from './tables.js';

const INVALID = join(FIXTURES, 'invalid');
const bad = (id: string) => join(INVALID, `${id}.bin`);

type Node = Record<string, any>;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase'].includes(name),
});

/** The JUnit schema Jenkins' xUnit plugin checks reports against (junit-10.xsd, kept beside this test). */
const XSD = join(dirname(fileURLToPath(import.meta.url)), 'junit-10.xsd');
const xmllintVersion = spawnSync('xmllint', ['--version'], { encoding: 'utf8', timeout: 10_000 });
// CI installs libxml2-utils (.ci/run): there a missing xmllint is a failure, not a skip
const HAVE_XMLLINT = xmllintVersion.status === 0 || process.env.CI === 'true';
if (!HAVE_XMLLINT) console.warn('note: xmllint is not installed (apt-get install libxml2-utils): the JUnit schema check is skipped');

/** xmllint --schema: the report validates against junit-10.xsd (its stderr on failure). */
function schemaErrors(xml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-junit-xsd-'));
  const file = join(dir, 'report.xml');
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
  return r.status === 0 ? '' : `${r.error ?? ''}${r.stderr}`;
}

function junit(args: string[]) {
  const r = dmar(['validate', '--format', 'junit', ...args]);
  expect(XMLValidator.validate(r.stdout)).toBe(true);
  if (HAVE_XMLLINT) expect(schemaErrors(r.stdout)).toBe('');
  return { status: r.status, xml: r.stdout, root: parser.parse(r.stdout).testsuites as Node };
}

const n = (v: unknown) => Number(v);

/** Counts that a consumer recomputes must equal the attributes, per suite and in total. */
function expectConsistent(root: Node) {
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const suite of root.testsuite as Node[]) {
    const cases = (suite.testcase ?? []) as Node[];
    const c = {
      tests: cases.length,
      failures: cases.filter((x) => x.failure !== undefined).length,
      errors: cases.filter((x) => x.error !== undefined).length,
      skipped: cases.filter((x) => x.skipped !== undefined).length,
    };
    expect({ tests: n(suite.tests), failures: n(suite.failures), errors: n(suite.errors), skipped: n(suite.skipped) }).toEqual(c);
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
  }
  const { skipped, ...rest } = total;
  expect({ tests: n(root.tests), failures: n(root.failures), errors: n(root.errors) }).toEqual(rest);
  // junit-10.xsd has no skipped= on <testsuites>: the per-suite counts carry it
  expect(root.skipped).toBeUndefined();
  void skipped;
}

/** An ANDD whose name holds a control byte, XML metacharacters and a non-ASCII byte. */
function hostileTable(): string {
  const doc = invalidDoc(invalidFixture('DMAR-ANDD-NO-SCOPE'));
  doc.structures.at(-1)!.deviceName = '\u0001<&>"\'\u00ff';
  const dir = mkdtempSync(join(tmpdir(), 'dmar-junit-'));
  const path = join(dir, 'hostile <&>.bin');
  writeFileSync(path, encodeDmar(fromJson(doc)));
  return path;
}

describe('--format junit', () => {
  test('one testsuite per file, one testcase per check, failures carry the message; counts agree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmar-junit-'));
    const dump = join(dir, 'machine.txt');
    writeFileSync(
      dump,
      acpidumpText([
        ['APIC', madtWithIoapics([2, 9])],
        ['DMAR', readFileSync(bad('DMAR-HDR-REVISION'))],
      ]),
    );
    const files = [bad('DMAR-RMRR-ALIGN'), bad('DMAR-FLAGS-IMS-OPTOUT'), '/nonexistent/table', dump, hostileTable()];
    const { status, root } = junit(files);
    expect(status).toBe(2);
    expectConsistent(root);
    const suites = root.testsuite as Node[];
    expect(suites.map((s) => s.name)).toEqual(files);

    const [rmrr, ims, missing, machine, hostile] = suites as [Node, Node, Node, Node, Node];
    expect(rmrr.testcase.map((c: Node) => c.name)).toEqual(CHECKS.map((c) => c.id));
    const fail = rmrr.testcase.find((c: Node) => c.name === 'DMAR-RMRR-ALIGN');
    expect(fail.failure.message).toBe('Base Address 0x7b800800 is not 4 KiB aligned');
    expect(fail.failure.type).toBe('error');
    expect(fail.failure['#text']).toContain('error at 0x70: RMRR #1: Base Address');
    expect(n(rmrr.failures)).toBe(1);
    // without a MADT the cross-checks cannot run, nor without --machine the machine checks
    expect(n(rmrr.skipped)).toBe(CHECKS.filter((c) => c.needs).length);

    // an info finding is below --fail-on error: reported, not failed
    expect(n(ims.failures)).toBe(0);
    expect(ims.testcase.find((c: Node) => c.name === 'DMAR-FLAGS-IMS-OPTOUT')['system-out']).toContain('proposed IMS_OPTOUT set');

    expect(missing.testcase).toHaveLength(1);
    expect(missing.testcase[0].error.message).toBe('no such file');

    // the MADT checks ran; the machine checks need --machine
    expect(n(machine.skipped)).toBe(CHECKS.filter((c) => c.needs && c.needs !== 'MADT').length);
    expect(machine.testcase.find((c: Node) => c.name === 'DMAR-MADT-IOAPIC-UNMAPPED').failure.message).toContain('I/O APIC 9');

    const andd = hostile.testcase.find((c: Node) => c.name === 'DMAR-ANDD-NO-SCOPE');
    // a warning is below --fail-on error: in system-out, not a failure
    expect(andd.failure).toBeUndefined();
    expect(andd['system-out']).toContain('(\\x01<&>"\'\\xff)');
  });

  test('--fail-on decides what is a failure; --only decides the testcases', () => {
    const { root } = junit([bad('DMAR-HDR-REVISION'), '--fail-on', 'warning', '--only', 'DMAR-HDR-*']);
    expectConsistent(root);
    const suite = root.testsuite[0] as Node;
    expect(suite.testcase.map((c: Node) => c.name)).toEqual(CHECKS.filter((c) => c.id.startsWith('DMAR-HDR-')).map((c) => c.id));
    expect(suite.testcase.find((c: Node) => c.name === 'DMAR-HDR-REVISION').failure.type).toBe('warning');
  });

  test('characters XML cannot carry are escaped, not emitted', () => {
    const { xml, root } = junit([hostileTable(), '--fail-on', 'warning']);
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
    const andd = (root.testsuite[0] as Node).testcase.find((c: Node) => c.name === 'DMAR-ANDD-NO-SCOPE');
    expect(andd.failure.message).toContain('\\x01<&>"\'\\xff');
  });

  test.skipIf(!HAVE_XMLLINT)('the report validates against junit-10.xsd, and the check catches what the schema forbids', () => {
    const { xml } = junit([bad('DMAR-RMRR-ALIGN'), '/nonexistent/table', hostileTable()]);
    expect(schemaErrors(xml)).toBe('');
    // the attribute the schema rejects on <testsuites>: the checker does see it
    expect(schemaErrors(xml.replace('<testsuites name="dmar validate"', '<testsuites skipped="3" name="dmar validate"'))).toMatch(/skipped/);
  });

  test('a note on how a check judged (memmap= on a hostile command line) is in its system-out, and the report validates', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dmar-junit-note-')), 'cap <&>');
    cpSync(join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture'), dir, { recursive: true });
    writeFileSync(join(dir, 'root/proc/cmdline'), 'ro "mem=8G]]>\u001b<&>" quiet\n');
    const r = junit(['--machine', dir]);
    expect(r.status).toBe(1);
    const suite = (r.root.testsuite as Node[])[0]!;
    const tc = (suite.testcase as Node[]).find((c) => c.name === 'DMAR-RMRR-NOT-RESERVED')!;
    expect(tc.failure).toBeDefined();
    expect(String(tc['system-out'])).toContain('note: capture ');
    expect(String(tc['system-out'])).toContain('booted with "mem=8G]]>\\x1b<&>": /sys/firmware/memmap');
    expectConsistent(r.root);
  });
});
