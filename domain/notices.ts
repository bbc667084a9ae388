/** A drop's notices, collected while it is read: each kind and detail once, with how many rows it concerns. */
import type { DropNotice } from './events.js';

/** Notices kept per drop; the last one kept says how many more there were. */
export const MAX_NOTICES = 20;

export class NoticeBook {
  private readonly held = new Map<string, DropNotice>();

  /** Notes a notice; the same kind and detail again adds one to its rows when `row` is true. */
  add(kind: DropNotice['kind'], detail: string, row = true): void {
    const key = `${kind}\u0000${detail}`;
    const notice = this.held.get(key);
    if (notice) {
      if (row) notice.rows = (notice.rows ?? 0) + 1;
      return;
    }
    this.held.set(key, row ? { kind, detail, rows: 1 } : { kind, detail });
  }

  merge(notices: readonly DropNotice[]): void {
    for (const n of notices) {
      const key = `${n.kind}\u0000${n.detail}`;
      const held = this.held.get(key);
      if (held) held.rows = (held.rows ?? 0) + (n.rows ?? 0);
      else this.held.set(key, { ...n });
    }
  }

  /** In the order first seen, capped at MAX_NOTICES. */
  list(): DropNotice[] {
    const all = [...this.held.values()];
    if (all.length <= MAX_NOTICES) return all;
    const kept = all.slice(0, MAX_NOTICES - 1);
    return [...kept, { kind: all[MAX_NOTICES - 1]!.kind, detail: `and ${all.length - kept.length} more notices` }];
  }
}

/** One line: `name_mismatch: "Ouest" is not the name of HT01 (West) (12 rows)`. */
export function noticeText(n: DropNotice): string {
  return `${n.kind}: ${n.detail}${n.rows === undefined ? '' : ` (${n.rows} row${n.rows === 1 ? '' : 's'})`}`;
}
