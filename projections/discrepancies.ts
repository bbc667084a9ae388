import { dateTime, defineProjection } from './projection.js';

/** Detections and resolutions side by side; the latest row per discrepancy id gives its status. */
export const discrepanciesProjection = defineProjection({
  name: 'discrepancies',
  version: 1,
  handles: ['DiscrepancyDetected', 'DiscrepancyResolved'],
  table: 'discrepancies',
  toRow: (e) => ({
    event_id: e.eventId,
    discrepancy_id: e.discrepancyId,
    status: e.type === 'DiscrepancyDetected' ? 'open' : 'resolved',
    group_key: e.groupKey,
    indicator: e.indicator,
    area: e.area,
    cause: e.type === 'DiscrepancyDetected' ? e.cause : '',
    gap_absolute: e.type === 'DiscrepancyDetected' ? e.gap.absolute : 0,
    gap_relative: e.type === 'DiscrepancyDetected' ? e.gap.relative : 0,
    tolerance: e.type === 'DiscrepancyDetected' ? e.tolerance : 0,
    values: JSON.stringify(e.values),
    explanation: e.explanation,
    recorded_at: dateTime(e.recordedAt),
  }),
});
