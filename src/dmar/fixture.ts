/** Fixture sources: a JSON document, optionally patched after encoding (see scripts/fixtures.mjs). */
import { encodeDmar } from './encode.js';
import { DmarError } from './errors.js';
import { fromJson, parseHex, parseInteger } from './json.js';

export function buildFixture(doc: Record<string, unknown>): Uint8Array {
  const bytes = encodeDmar(fromJson(doc), { keepChecksum: doc.$keepChecksum === true });
  const patches = doc.$patch ?? [];
  if (!Array.isArray(patches)) throw new DmarError('$patch: expected an array', { code: 'DMAR-JSON' });
  let out = bytes;
  for (const [i, p] of patches.entries()) {
    const off = Number(parseInteger((p as Record<string, unknown>).offset, `$patch[${i}].offset`));
    const data = parseHex((p as Record<string, unknown>).hex, `$patch[${i}].hex`);
    if (off + data.length > out.length) {
      const grown = new Uint8Array(off + data.length);
      grown.set(out);
      out = grown;
    }
    out.set(data, off);
  }
  if (typeof doc.$truncate === 'number') out = out.slice(0, doc.$truncate);
  return out;
}
