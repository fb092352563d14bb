/** Reading sysfs/procfs-style files of a machine root: small text files and directory listings that may be absent. */
import { readdirSync, readFileSync } from 'node:fs';

/** A small text file, trimmed; undefined when it cannot be read. */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return undefined;
  }
}

/** A directory's entries; undefined when it cannot be listed. */
export function listDir(path: string): string[] | undefined {
  try {
    return readdirSync(path);
  } catch {
    return undefined;
  }
}
