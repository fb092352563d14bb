/**
 * HTML escaping for the report page: one function escapes every string that
 * came from input (firmware strings, file names, messages), and the `html`
 * tag applies it to every interpolated value that is not already markup.
 */

// The one HTML escaping is acpi/escape.ts htmlText: `& < > " '` as references, controls as `\xNN`.
import { htmlText } from '../acpi/escape.js';

/** Markup that is already safe (built by `html`). */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Markup | string | number | bigint | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Markup) return v.text;
  if (Array.isArray(v)) return (v as readonly Value[]).map(render).join('');
  return htmlText(String(v));
}

/** A template whose interpolations are escaped (Markup and arrays of Markup pass through). */
export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Markup(out);
}

/** Trusted constant markup (CSS, the page script): never input. */
export function trusted(s: string): Markup {
  return new Markup(s);
}
