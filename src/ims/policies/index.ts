/** Every policy `dmar ims` knows, in the order `--policy all` and the matrix show them. */
import type { Policy } from '../policy.js';
import { firmwareHint } from './firmware-hint.js';
import { linux610, linux62, linuxPre62 } from './linux.js';
import { optIn } from './opt-in.js';
import { optOut } from './opt-out.js';

export const POLICIES: readonly Policy[] = [optIn, optOut, firmwareHint, linux62, linux610];

export const DEFAULT_POLICY = optIn.name;

/** `linux` is resolved by kernel version (linuxForKernel), not here. */
export function policyByName(name: string): Policy | undefined {
  return [...POLICIES, linuxPre62].find((p) => p.name === name);
}

/** Every name `--policy` and `--expect` accept. */
export const POLICY_NAMES: readonly string[] = [...POLICIES.map((p) => p.name), linuxPre62.name, 'linux'];
