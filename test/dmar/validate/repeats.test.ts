// repeats(): each item whose key an earlier item had, with the first that had it. A few items are
// compared pairwise, more through a Map: both give what the definition gives.
import { expect, test } from 'vitest';
import { repeats } from '../../../src/dmar/validate/check.js';

/** The definition, written plainly. */
function reference<T>(items: readonly T[], key: (x: T) => string | number | bigint | undefined): [T, T][] {
  const out: [T, T][] = [];
  items.forEach((x, i) => {
    const k = key(x);
    if (k === undefined) return;
    const first = items.findIndex((y) => key(y) === k);
    if (first < i) out.push([x, items[first]!]);
  });
  return out;
}

test.each([0, 1, 2, 5, 16, 17, 40, 300])('%i items, keys numbers, bigints, strings and none', (n) => {
  let seed = n + 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 7;
  const items = Array.from({ length: n }, (_, i) => ({ i, k: rand() }));
  const keys = [
    (x: { k: number }) => x.k,
    (x: { k: number }) => BigInt(x.k) << 40n,
    (x: { k: number }) => `s${x.k}`,
    (x: { k: number }) => (x.k === 3 ? undefined : x.k),
  ];
  for (const key of keys) {
    const got = repeats(items, key);
    expect(got).toEqual(reference(items, key));
    if (n > 10) expect(got.length).toBeGreaterThan(0);
  }
});
