/**
 * `--format json`: {"format": "dmar-validate/1", "files": [{"file", "findings": [...]} | {"file", "error", "id", "offset", "findings": []}],
 * "summary": {"files", "error", "warning", "info", "unreadable"}}. Documented in docs/validate.md; keys are stable.
 */
import type { Finding } from '../check.js';
import { jsonDocument } from '../../../acpi/escape.js';
import { summarize, type FileResult } from './result.js';

function findingJson(f: Finding): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: f.id,
    severity: f.severity,
    offset: f.offset,
    structure: f.structure,
  };
  if (f.scope !== undefined) o.scope = f.scope;
  o.message = f.message;
  o.hint = f.hint;
  if (f.proposed) o.proposed = true;
  return o;
}

export function reportJson(results: readonly FileResult[]): string {
  const files = results.map((r) =>
    r.error
      ? { file: r.file, error: r.error.message, id: r.error.id, offset: r.error.offset, findings: [] }
      : { file: r.file, findings: r.findings.map(findingJson), ...(r.notes?.length ? { notes: r.notes } : {}) },
  );
  return jsonDocument({ format: 'dmar-validate/1', files, summary: summarize(results) });
}
