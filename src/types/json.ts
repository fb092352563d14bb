/** A JSON value as the `--json` documents are built, before `JSON.stringify`: one type for every part. */
export type Json = null | JsonScalar | Json[] | JsonObject;

/** A JSON value that is neither null nor a container: what one field of a table becomes. */
export type JsonScalar = boolean | number | string;

/** A JSON object whose keys are known only at run time (a key set to undefined is left out, as JSON.stringify leaves it). */
export type JsonObject = { [k: string]: Json | undefined };
