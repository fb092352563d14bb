/** A JSON value as the `--json` documents are built, before `JSON.stringify`: one type for every part. */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object whose keys are known only at run time. */
export type JsonObject = { [k: string]: Json };
