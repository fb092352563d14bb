// Flag and feature names as users type them: as displayed, in any case; and
// never a property of Object.prototype (`constructor`, `toString`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DmarError } from '../../src/dmar/errors.js';
import { dmarFlagBit, featureMask, setDmarFlag, setVirtDescriptor } from '../../src/dmar/edit.js';
import { dmar, FIXTURES } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const QEMU = join(FIXTURES, 'edit', 'qemu-q35.bin');
const qemu = new Uint8Array(readFileSync(QEMU));
const PROTO = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

function argError(f: () => unknown, what: RegExp) {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DmarError);
  expect((err as DmarError).code).toBe('DMAR-EDIT-ARG');
  expect((err as DmarError).message).toMatch(what);
}

describe('flag names', () => {
  test.each(['ims-optout', 'IMS_OPTOUT', 'Ims_OptOut', 'IMS-OPTOUT', 'ims_optout', ' ims-optout '])('%j names IMS_OPTOUT', (name) => {
    expect(dmarFlagBit(name).name).toBe('IMS_OPTOUT');
    expect(setDmarFlag(qemu, name, true).bytes).toEqual(setDmarFlag(qemu, 'ims-optout', true).bytes);
  });

  test('each bit by its displayed name and by its CLI name', () => {
    for (const [typed, bit] of [
      ['X2APIC_OPT_OUT', 'X2APIC_OPT_OUT'],
      ['x2apic-optout', 'X2APIC_OPT_OUT'],
      ['Intr_Remap', 'INTR_REMAP'],
      ['DMA_CTRL_PLATFORM_OPT_IN', 'DMA_CTRL_PLATFORM_OPT_IN'],
    ] as const) {
      expect(dmarFlagBit(typed).name).toBe(bit);
    }
  });

  test.each(PROTO)('%s is an unknown flag, not an internal error', (name) => {
    argError(() => dmarFlagBit(name), /^unknown flag/);
  });
});

describe('feature names', () => {
  test('as displayed and in any case', () => {
    const want = featureMask(['ims', 'msi-compose', 'remappable-direct']);
    expect(featureMask(['IMS', 'Msi_Compose', 'REMAPPABLE_DIRECT'])).toBe(want);
    expect(setVirtDescriptor(qemu, { virtualized: true, features: ['MSI_COMPOSE'] }).bytes).toEqual(
      setVirtDescriptor(qemu, { virtualized: true, features: ['msi-compose'] }).bytes,
    );
  });

  test.each(PROTO)('%s is an unknown feature, not an internal error', (name) => {
    argError(() => featureMask([name]), /^unknown feature/);
  });
});

describe('through the CLI', () => {
  test('set-flag IMS_OPTOUT and set-flag ims-optout write the same bytes', () => {
    const a = join(work, 'a.bin');
    const b = join(work, 'b.bin');
    expect(dmar(['set-flag', 'IMS_OPTOUT', QEMU, '-o', a]).status).toBe(0);
    expect(dmar(['set-flag', 'ims-optout', QEMU, '-o', b]).status).toBe(0);
    expect(readFileSync(a)).toEqual(readFileSync(b));
  });

  test('set-flag constructor: a usage error naming the known flags, exit 2', () => {
    const r = dmar(['set-flag', 'constructor', QEMU, '-o', join(work, 'c.bin')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^dmar: unknown flag "constructor" \(known: intr-remap, /);
    expect(r.stderr).not.toContain('internal error');
  });

  test('virt set --features toString: a usage error, exit 2', () => {
    const r = dmar(['virt', 'set', QEMU, '--virtualized', '--features', 'toString', '-o', join(work, 'd.bin')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^dmar: unknown feature "toString" \(known: ims, /);
  });

  test('virt show: a reserved Flags bit must be 0; an unnamed Supported Features bit is treated as not supported', () => {
    expect(dmar(['virt', 'show', join(FIXTURES, 'invalid', 'DMAR-VIRT-RESERVED.bin')]).stdout).toMatch(/^ {4}reserved +0x2 \(reserved: must be 0\)$/m);
    expect(dmar(['virt', 'show', join(FIXTURES, 'invalid', 'DMAR-VIRT-FEATURES-UNKNOWN.bin')]).stdout).toMatch(
      /^ {4}reserved +0x8 \(unknown: treated as not supported\)$/m,
    );
  });

  test('virt set --features IMS,Msi_Compose works, and NONE is none', () => {
    const out = join(work, 'e.bin');
    expect(dmar(['virt', 'set', QEMU, '--virtualized', '--features', 'IMS,Msi_Compose', '-o', out]).status).toBe(0);
    expect(dmar(['virt', 'show', out]).stdout).toMatch(/IMS\s+1[\s\S]*MSI_COMPOSE\s+1/);
    expect(dmar(['virt', 'set', out, '--features', 'NONE']).status).toBe(0);
    expect(dmar(['virt', 'show', out]).stdout).toMatch(/IMS\s+0/);
  });
});
