import { expect, test } from 'vitest';
import { bitValue, type BitDef } from '../../src/acpi/fields.js';

// bitValue reads a number of 32 bits without BigInt when the field lies below bit 30: the same value
// as the BigInt reading, at every shift and width, for numbers and bigints alike.
test('bitValue: the number path and the BigInt path agree', () => {
  const big = (v: number | bigint, shift: number, width: number) => Number((BigInt(v) >> BigInt(shift)) & ((1n << BigInt(width)) - 1n));
  const values = [0, 1, 0x80, 0xff, 0x1234, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff, 2 ** 40 + 5, 2 ** 52 + 3];
  for (const v of values)
    for (let shift = 0; shift < 40; shift++)
      for (const width of [1, 2, 3, 8, 16]) {
        const b = { key: 'x', name: 'X', shift, width } as unknown as BitDef;
        expect(bitValue(v, b), `${v} >> ${shift} width ${width}`).toBe(big(v, shift, width));
        expect(bitValue(BigInt(v), b)).toBe(big(v, shift, width));
      }
});
