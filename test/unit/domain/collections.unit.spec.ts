import { describe, expect, it } from 'vitest';
import { BoundedMap, groupBy } from '../../../domain/collections.js';

describe('groupBy', () => {
  it('keeps groups in the order of their first item, items in order', () => {
    const groups = groupBy(['b1', 'a1', 'b2', 'c1', 'a2'], (s) => s[0]!);
    expect([...groups]).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1', 'a2']],
      ['c', ['c1']],
    ]);
  });
});

describe('BoundedMap', () => {
  it('answers what it was given until it is full, then starts afresh', () => {
    const map = new BoundedMap<number>(3);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 10); // an existing key, still three entries at most
    map.set('c', 3);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([10, 2, 3]);
    map.set('d', 4); // full: the earlier answers are dropped
    expect([map.get('a'), map.get('b'), map.get('c'), map.get('d')]).toEqual([undefined, undefined, undefined, 4]);
  });
});
