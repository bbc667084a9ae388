import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { StackSettings } from '../../infra/stack/index.js';

/** The engines' settings, with names of this test's own: topics prefix, database and task queue. */
export interface TestScope {
  stack: StackSettings;
  /** Unique per call: prefix every topic, database, task queue and group with it. */
  id: string;
  topic(name: string): string;
  database: string;
  taskQueue: string;
}

export function testScope(label = 't'): TestScope {
  const stack = inject('stack');
  const id = `${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 12)}_${randomBytes(4).toString('hex')}`;
  return {
    stack: { ...stack, clickhouse: { ...stack.clickhouse, database: `test_${id}` } },
    id,
    topic: (name) => `${id}.${name}`,
    database: `test_${id}`,
    taskQueue: `tq-${id}`,
  };
}
