/** The colours the writers use; a plain painter leaves text as it is. */
export interface Paint {
  title(s: string): string;
  name(s: string): string;
  value(s: string): string;
  set(s: string): string;
  dim(s: string): string;
  warn(s: string): string;
  error(s: string): string;
  info(s: string): string;
  proposed(s: string): string;
  ok(s: string): string;
}

const id = (s: string) => s;
export const PLAIN: Paint = {
  title: id,
  name: id,
  value: id,
  set: id,
  dim: id,
  warn: id,
  error: id,
  info: id,
  proposed: id,
  ok: id,
};
