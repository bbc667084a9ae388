import type { Period, SourceValue } from '../events.js';

/** `171000` → `171,000`; decimals keep at most two places. Hand-rolled so the output never depends on ICU data. */
export function formatCount(value: number): string {
  const [whole = '0', fraction] = Math.abs(value).toFixed(2).replace(/\.?0+$/, '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

/** `0.0643` → `6.4%`; `0.05` → `5%`. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1).replace(/\.0$/, '')}%`;
}

/** `on 2019-07-31` or `over 2018-01-01 to 2019-08-15`. */
export function describePeriod(period: Period): string {
  return period.kind === 'stock' ? `on ${period.date}` : `over ${period.start} to ${period.end}`;
}

/** `dtm 160,000 on 2019-07-31`, with the unit when asked. */
export function describeValue(v: SourceValue, options: { period?: boolean; unit?: boolean } = {}): string {
  const unit = options.unit ? ` ${v.unit}` : '';
  const period = options.period === false ? '' : ` ${describePeriod(v.period)}`;
  return `${v.source} ${formatCount(v.value)}${unit}${period}`;
}
