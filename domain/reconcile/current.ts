import type { ObservationRecorded, SourceValue } from '../events.js';
import { compareInstants, compareText, instant } from './time.js';

/**
 * What each source currently says about each series point, as known on `asOf`:
 * duplicates (one observation id in several drops) count once, at their earliest sighting;
 * among revisions (one source and series key, several values) the latest record wins.
 */
export function currentObservations(observations: readonly ObservationRecorded[], asOf?: string): ObservationRecorded[] {
  const cutoff = asOf === undefined ? undefined : instant(asOf, 'reconcile opts.asOf');
  const firstSighting = new Map<string, ObservationRecorded>();
  for (const o of observations) {
    if (cutoff !== undefined && instant(o.recordedAt, `observation ${o.eventId} recordedAt`) > cutoff) continue;
    const seen = firstSighting.get(o.observationId);
    if (!seen || bySighting(o, seen) < 0) firstSighting.set(o.observationId, o);
  }
  const latest = new Map<string, ObservationRecorded>();
  for (const o of firstSighting.values()) {
    const key = `${o.source}\u001f${o.seriesKey}`;
    const held = latest.get(key);
    if (!held || byRevision(o, held) > 0) latest.set(key, o);
  }
  return [...latest.values()].sort(
    (a, b) => compareText(a.seriesKey, b.seriesKey) || compareText(a.source, b.source),
  );
}

function bySighting(a: ObservationRecorded, b: ObservationRecorded): number {
  return compareInstants(a.recordedAt, b.recordedAt) || compareText(a.dropId, b.dropId) || compareText(a.eventId, b.eventId);
}

function byRevision(a: ObservationRecorded, b: ObservationRecorded): number {
  return compareInstants(a.recordedAt, b.recordedAt) || compareText(a.dropId, b.dropId) || compareText(a.observationId, b.observationId);
}

export function toSourceValue(o: ObservationRecorded): SourceValue {
  return {
    source: o.source,
    value: o.value,
    observationId: o.observationId,
    dropId: o.dropId,
    period: o.period.kind === 'stock' ? { kind: 'stock', date: o.period.date } : { kind: 'flow', start: o.period.start, end: o.period.end },
    unit: o.unit,
    recordedAt: o.recordedAt,
  };
}
