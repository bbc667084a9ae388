const DAY_MS = 86_400_000;

/** Milliseconds since the epoch; a bare date means the end of that day (UTC), so "as of 2020-03-31" includes it. */
export function instant(value: string, field = 'date-time'): number {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : value;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${field} must be an ISO date-time, found "${value}"`);
  return ms;
}

/** Record times may carry different offsets: compare the instants they denote. */
export function compareInstants(a: string, b: string): number {
  return instant(a) - instant(b);
}

/** The latest instant; among equal instants written differently, the greatest text, so any order gives the same answer. */
export function latestInstant(values: readonly string[]): string {
  return values.reduce((latest, v) => (compareInstants(v, latest) || compareText(v, latest)) > 0 ? v : latest);
}

/** Whole days between two YYYY-MM-DD dates, always positive. */
export function daysBetween(a: string, b: string): number {
  return Math.round(Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / DAY_MS);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
