/**
 * Parsers compiled with the bundle. The CLI's bundle build (scripts/bundle.mjs)
 * replaces this module with one that holds, for each parser the decoder uses,
 * the code binary-parser generates for it as a function of the bundle, so that
 * V8's code cache holds it compiled and a start skips generating and compiling
 * it (2 ms of a decode). Elsewhere (the library, the tests) it is empty and
 * every parser is generated and compiled on first use (parsers.ts).
 */

/** What compile() makes from binary-parser's code: (imports, TextDecoder) => the parse function. */
export type ParserFactory = (imports: unknown[], textDecoder: typeof TextDecoder) => unknown;

/** A precompiled parser: its factory, and its imports by name (parsers.ts IMPORTS). */
export interface Precompiled {
  make: ParserFactory;
  imports: readonly string[];
}

/** By parser signature (parsers.ts signature()). */
export const PRECOMPILED: ReadonlyMap<string, Precompiled> = new Map();
