/** The rebuild's gate: inserts run side by side, and the swap meets none of them halfway. */
import { describe, expect, it } from 'vitest';
import { swapGate } from '../../../projections/rebuild.js';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('swapGate', () => {
  it('runs shared calls side by side, and a swap only between them', async () => {
    const gate = swapGate();
    const order: string[] = [];
    const insert = (name: string, ms: number) =>
      gate.shared(async () => {
        order.push(`${name} start`);
        await tick(ms);
        order.push(`${name} end`);
      });
    const a = insert('a', 30);
    const b = insert('b', 10);
    await tick(1);
    const swap = gate.exclusive(async () => {
      order.push('swap start');
      await tick(10);
      order.push('swap end');
      return 'swapped';
    });
    // Asked for while the swap waits or runs: it starts after the swap.
    const c = insert('c', 1);
    expect(await swap).toBe('swapped');
    await Promise.all([a, b, c]);
    expect(order).toEqual(['a start', 'b start', 'b end', 'a end', 'swap start', 'swap end', 'c start', 'c end']);
  });

  it('swaps even when an insert in hand failed, and passes the failure to its caller', async () => {
    const gate = swapGate();
    const failed = gate.shared(async () => {
      await tick(5);
      throw new Error('ClickHouse refused');
    });
    const swap = gate.exclusive(async () => 'swapped');
    await expect(failed).rejects.toThrow('ClickHouse refused');
    expect(await swap).toBe('swapped');
    expect(await gate.shared(async () => 'after')).toBe('after');
  });
});
