/**
 * A machine root: a directory tree that mirrors the live paths the machine
 * readers use (proc/cpuinfo, sys/firmware/memmap, sys/bus/pci/devices, ...).
 * The running machine's is `/` (DMAR_ROOT in tests); a capture written by
 * `dmar capture` keeps one under DIR/root beside its manifest.
 */
import { type Dirent, existsSync, readdirSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { isDirectory, liveRoot } from '../io/input.js';
import { DmarError } from '../dmar/errors.js';

/** 'live' -> liveRoot(); a capture directory (has manifest.json and root/) -> join(dir, 'root'). */
export function machineRoot(spec: string): string {
  if (spec === 'live') return liveRoot();
  if (spec === '') throw new DmarError('--machine "": give a capture directory (dmar capture -o DIR writes one) or live', {});
  const root = join(spec, 'root');
  if (existsSync(join(spec, 'manifest.json')) && isDirectory(root)) {
    checkSelfContained(spec);
    return root;
  }
  throw new DmarError('not a capture directory (no manifest.json and root/ in it; `dmar capture -o DIR` writes one)', { file: spec });
}

/** The sysfs links a capture keeps as links: their target's name is read (readlink), never the target (pci.ts linkName). */
const READ_AS_LINK = /^(driver|physfn|virtfn\d+|iommu_group)$/;

/**
 * A capture holds its own files. A symbolic link in it that leads out of it
 * (`root/sys/bus/pci/devices -> /sys/bus/pci/devices`, a DMAR linked to this
 * machine's) would mix the machine dmar runs on into the one captured without a
 * word: refused, naming the link. A link that leads nowhere (dangling, a loop) is
 * left to the reader of that file, which says why it cannot be read.
 */
function checkSelfContained(dir: string): void {
  let top: string;
  try {
    top = realpathSync(dir);
  } catch {
    return;
  }
  const stack = [dir];
  while (stack.length) {
    const at = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      continue; // an unreadable directory: its reader says so, or it is not read
    }
    for (const e of entries) {
      const path = join(at, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (e.isSymbolicLink() && !READ_AS_LINK.test(e.name)) {
        let to: string;
        try {
          to = realpathSync(path);
        } catch {
          continue;
        }
        if (to !== top && !to.startsWith(top + sep))
          throw new DmarError(`a symbolic link out of the capture (to ${to}): a capture holds its own files, not this machine's`, {
            file: path,
            code: 'DMAR-MACHINE-INVALID',
          });
      }
    }
  }
}
