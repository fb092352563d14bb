/**
 * A machine root: a directory tree that mirrors the live paths the machine
 * readers use (proc/cpuinfo, sys/firmware/memmap, sys/bus/pci/devices, ...).
 * The running machine's is `/` (DMAR_ROOT in tests); a capture written by
 * `dmar capture` keeps one under DIR/root beside its manifest.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDirectory, liveRoot } from '../io/input.js';
import { DmarError } from '../dmar/errors.js';

/** 'live' -> liveRoot(); a capture directory (has manifest.json and root/) -> join(dir, 'root'). */
export function machineRoot(spec: string): string {
  if (spec === 'live') return liveRoot();
  const root = join(spec, 'root');
  if (existsSync(join(spec, 'manifest.json')) && isDirectory(root)) return root;
  throw new DmarError('not a capture directory (no manifest.json and root/ in it; `dmar capture -o DIR` writes one)', { file: spec });
}
