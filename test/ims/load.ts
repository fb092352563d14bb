// Shared by the IMS tests: a fixture of fixtures/ims decoded, and evidence gathered from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDmar } from '../../src/dmar/decode.js';
import { gatherEvidence, type CommandLineEvidence, type Gathered } from '../../src/ims/evidence.js';
import { FIXTURES } from '../helpers.js';

export const IMS_FIXTURES = join(FIXTURES, 'ims');

export function fixturePath(name: string): string {
  return join(IMS_FIXTURES, `${name}.bin`);
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(fixturePath(name));
}

export function evidenceOf(name: string, cli: CommandLineEvidence = {}): Gathered {
  const { table } = decodeDmar(fixtureBytes(name));
  return gatherEvidence({ table, tableSource: name, cli });
}

export const NO_TABLE: Gathered = gatherEvidence({ tableSource: 'no table here' });
