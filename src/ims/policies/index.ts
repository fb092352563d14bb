/** Every policy `dmar ims` knows, in the order `--policy all` and the matrix show them. */
import type { Policy } from '../policy.js';
import { firmwareHint } from './firmware-hint.js';
import { linux } from './linux.js';
import { optIn } from './opt-in.js';
import { optOut } from './opt-out.js';

export const POLICIES: readonly Policy[] = [optIn, optOut, firmwareHint, linux];

export const DEFAULT_POLICY = optIn.name;

export function policyByName(name: string): Policy | undefined {
  return POLICIES.find((p) => p.name === name);
}
