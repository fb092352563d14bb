/** Source text for `dmar encode`: the JSON document or ACPICA data-table source, told apart by content. */
import { DmarError } from './errors.js';
import { parseIasl } from './format/iasl.js';
import { fromJson } from './json.js';
import type { DmarTable } from './model.js';

export function parseSourceText(text: string): DmarTable {
  const body = text.replace(/^\uFEFF/, '');
  if (/^\s*\{/.test(body)) {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      const line = pos ? body.slice(0, Number(pos[1])).split('\n').length : undefined;
      throw new DmarError(`${line ? `line ${line}: ` : ''}invalid JSON: ${msg.replace(/^JSON\.parse: /, '')}`, -1, 'DMAR-JSON');
    }
    return fromJson(doc);
  }
  if (body.includes('\0')) throw new DmarError('binary data: dmar encode reads JSON or iasl source (dmar decode reads binary tables)', -1, 'DMAR-SOURCE');
  return parseIasl(body);
}
