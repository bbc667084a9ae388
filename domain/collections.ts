/** Items grouped by a key, groups in the order their first item came, items in their order. */
export function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * A map of remembered answers that never holds more than `max` entries: when it is full, the next
 * entry starts it afresh. Suited to answers per distinct cell text, where a drop repeats a few
 * thousand texts over millions of rows, so an emptied map fills again with the ones in use.
 */
export class BoundedMap<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, value);
  }
}
