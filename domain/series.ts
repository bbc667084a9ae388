import { hash } from 'node:crypto';
import type { Disaggregation, Period, Unit } from './events.js';

/** `2019-07-31` for a stock, `2019-01-01/2019-12-31` for a flow. */
export function periodKey(period: Period): string {
  return period.kind === 'stock' ? period.date : `${period.start}/${period.end}`;
}

/** Sorted `key=value` pairs joined by commas; the empty string is the total. */
export function disaggregationKey(d: Disaggregation): string {
  return Object.keys(d)
    .sort()
    .map((k) => `${k}=${d[k]}`)
    .join(',');
}

/**
 * A group is one indicator in one area with one disaggregation, over all dates: reconciliation
 * and Kafka partitioning work per group, so that order holds within it.
 */
export function groupKey(indicator: string, area: string, d: Disaggregation): string {
  return `${indicator}|${area}|${disaggregationKey(d)}`;
}

/** A series point: a group at one reference date or period. */
export function seriesKey(indicator: string, area: string, period: Period, d: Disaggregation): string {
  return `${groupKey(indicator, area, d)}|${periodKey(period)}`;
}

/** The first 128 bits of SHA-256 over the parts, in hex (the one-shot `hash`: no Hash object per id). */
export function shortHash(...parts: Array<string | number>): string {
  return hash('sha256', parts.join('\u001f')).slice(0, 32);
}

/** The business identity of a reported figure: the same figure re-sent has the same id. */
export function observationId(source: string, series: string, value: number, unit: Unit): string {
  return shortHash('obs', source, series, value, unit);
}
