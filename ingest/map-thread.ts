/**
 * A parse thread: maps one byte range of a plain CSV (map-range.ts) straight through, posting the
 * rows read after every block, then its counts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DropNotice } from '../domain/events.js';
import { mapRange, type MapRangeInput } from './map-range.js';

export type MapThreadMessage = { kind: 'progress'; rows: number } | { kind: 'done'; rows: number; rejected: number; notices: DropNotice[] };

const steps = mapRange(workerData as MapRangeInput);
for (;;) {
  const step = steps.next();
  if (step.done) {
    parentPort!.postMessage({ kind: 'done', ...step.value } satisfies MapThreadMessage);
    break;
  }
  parentPort!.postMessage({ kind: 'progress', rows: step.value } satisfies MapThreadMessage);
}
