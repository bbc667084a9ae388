import type { TallyEventType } from '../domain/events.js';
import { discrepanciesProjection } from './discrepancies.js';
import { dropsProjection } from './drops.js';
import { duplicatesProjection } from './duplicates.js';
import { figuresProjection } from './figures.js';
import { observationsProjection } from './observations.js';
import type { AnyProjection } from './projection.js';
import { rejectionsProjection } from './rejections.js';

export const PROJECTIONS: readonly AnyProjection[] = [
  observationsProjection,
  figuresProjection,
  discrepanciesProjection,
  dropsProjection,
  rejectionsProjection,
  duplicatesProjection,
];

/** The projection of each event type: every type has exactly one. */
export function projectionOf(type: TallyEventType): AnyProjection {
  switch (type) {
    case 'ObservationRecorded':
      return observationsProjection;
    case 'RowDuplicated':
      return duplicatesProjection;
    case 'RowRejected':
      return rejectionsProjection;
    case 'FigureReconciled':
      return figuresProjection;
    case 'DiscrepancyDetected':
    case 'DiscrepancyResolved':
      return discrepanciesProjection;
    case 'DropReceived':
    case 'DropProcessed':
      return dropsProjection;
    default: {
      const never: never = type;
      throw new Error(`no projection for event type ${String(never)}`);
    }
  }
}
