/** What the CLI hands to every reporter: one result per input table. */
import type { Finding, Severity } from '../check.js';

export interface FileResult {
  /** The name the user gave (or the path inside a directory, or "stdin"). */
  file: string;
  findings: Finding[];
  /** Set when the input could not be read as a DMAR table at all (exit 2). */
  error?: {
    message: string;
    /** The fatal check's ID (DMAR-HDR-SIGNATURE...), or null for I/O failures. */
    id: string | null;
    offset: number | null;
  };
  /** The MADT was available, so the MADT cross-checks ran. */
  madt?: boolean;
  /** An acpidump's HPET table was available, so the HPET check ran without a machine. */
  hpet?: boolean;
  /** Machine checks that could not run, and why (`--machine`, `--dmesg`). */
  notes?: string[];
}

export interface Summary {
  files: number;
  error: number;
  warning: number;
  info: number;
  unreadable: number;
}

export function summarize(results: readonly FileResult[]): Summary {
  const s: Summary = { files: results.length, error: 0, warning: 0, info: 0, unreadable: 0 };
  // by index: one pass over every result of a batch, run once per process (so mostly before V8 optimises it)
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (r.error) s.unreadable++;
    for (let j = 0; j < r.findings.length; j++) s[r.findings[j]!.severity as Severity]++;
  }
  return s;
}
