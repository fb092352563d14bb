// Machine roots for the machine-context tests: written from a spec (tools/fixtures/machine-spec.ts)
// into a temporary directory and read back with the same readers a live machine uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { readMachine, type MachineFacts } from '../../src/machine/facts.js';
import { writeMachineRoot, type MachineSpec } from '../../tools/fixtures/machine-spec.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function machineRootFromSpec(spec: MachineSpec): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-test-machine-'));
  made.push(dir);
  writeMachineRoot(spec, join(dir, 'root'));
  return join(dir, 'root');
}

export function machineFromSpec(spec: MachineSpec): MachineFacts {
  return readMachine(machineRootFromSpec(spec), 'test machine');
}
