// DMAR-SCOPE-TYPE-MISMATCH reports where Linux checks a scope's type: it inserts the devices present into the
// scopes of a DRHD, an RMRR, an ATSR and a SATC, but skips an INCLUDE_PCI_ALL DRHD's and an ALL_PORTS
// ATSR's (`if (dmaru->include_all) continue;`), and does not parse a SIDP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { fromJson, toJson } from '../../src/dmar/codec/json.js';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { validateBytes } from '../../src/dmar/validate/index.js';
import { readCapture } from '../../src/machine/facts.js';
import { FIXTURES } from '../helpers.js';

const DIR = join(FIXTURES, 'machine', 'desktop-usb-gfx-rmrr', 'capture');
const ROOT = join(DIR, 'root');
const machine = readCapture(DIR, ROOT, 'capture');
const base = readFileSync(join(ROOT, 'sys', 'firmware', 'acpi', 'tables', 'DMAR'));

type Doc = { structures: { kind?: string; flags?: Record<string, unknown>; deviceScopes?: unknown[] }[] };
/** The capture's table with an Endpoint scope for root port 00:1c.0 added to the structure `pick` chooses (or a new ATSR). */
function withRootPortAsEndpoint(pick: (d: Doc) => Doc['structures'][number]): string[] {
  const doc = toJson(decodeDmar(base).table) as unknown as Doc;
  pick(doc).deviceScopes!.push({ type: 1, bus: 0, path: [{ device: 28, function: 0 }] });
  const bytes = encodeDmar(fromJson(doc));
  return validateBytes(bytes, { machine, only: new Set(['DMAR-SCOPE-TYPE-MISMATCH']) }).map((f) => `${f.structure}: ${f.message}`);
}

test('00:1c.0 is a bridge in the capture: an Endpoint scope for it in a DRHD without INCLUDE_PCI_ALL is reported', () => {
  expect(withRootPortAsEndpoint((d) => d.structures.find((s) => s.kind === 'DRHD' && s.flags?.INCLUDE_PCI_ALL === false)!)).toEqual([
    'DRHD #1: Endpoint scope 00:1c.0 names 0000:00:1c.0, header type 1 (a bridge)',
  ]);
});

test('the same scope in the INCLUDE_PCI_ALL DRHD is not: Linux does not match its scopes (DMAR-DRHD-INCLUDE-ALL-PCI-SCOPE says so)', () => {
  expect(withRootPortAsEndpoint((d) => d.structures.find((s) => s.kind === 'DRHD' && s.flags?.INCLUDE_PCI_ALL === true)!)).toEqual([]);
});

test('in an ATSR: reported without ALL_PORTS, not with it', () => {
  const atsr = (allPorts: boolean) => (d: Doc) => {
    const s = { kind: 'ATSR', flags: { ALL_PORTS: allPorts }, segment: 0, deviceScopes: [] };
    d.structures.push(s);
    return s;
  };
  expect(withRootPortAsEndpoint(atsr(false))).toEqual(['ATSR #1: Endpoint scope 00:1c.0 names 0000:00:1c.0, header type 1 (a bridge)']);
  expect(withRootPortAsEndpoint(atsr(true))).toEqual([]);
});
