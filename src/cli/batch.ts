/**
 * What a batch tells the process that runs it. bin/dmar.js, which sets V8's
 * flags for a batch (docs/performance.md), listens to each table a `validate`
 * batch has validated, and tells V8 to optimise less once the batch is warm.
 * Nobody listens in a library or a test process: then nothing is told.
 */
export type TableListener = (bytes: Uint8Array) => void;

let listener: TableListener | undefined;

/** Listen to every table validate validates from now on (undefined: stop). */
export function listenToTables(f: TableListener | undefined): void {
  listener = f;
}

/** validate has validated a table: these are its bytes. */
export function tableValidated(bytes: Uint8Array): void {
  if (listener !== undefined) listener(bytes);
}
