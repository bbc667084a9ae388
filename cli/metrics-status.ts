/**
 * The `metrics` part of `tally status`: each process's `/metrics` URL, scraped, and its tally_*
 * numbers. The URLs come from `<stack dir>/metrics.json`, which `tally up` / `serve` write with the
 * ports they bound, or else from the configuration (TALLY_METRICS_HOST and the ports).
 */
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsSettings } from '../infra/config.js';
import { metricsUrl } from '../worker/metrics-server.js';
import type { ServiceMetricsUrls } from '../worker/services.js';

export const PARTS = ['worker', 'projections', 'temporal'] as const;
export type MetricsPart = (typeof PARTS)[number];

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface EndpointStatus {
  url: string;
  up: boolean;
  error?: string;
  /** tally_* values: a number, or one per label set (`source=cmp,outcome=accepted`); histograms as _count and _sum. */
  values?: Record<string, number | Record<string, number>>;
  /** Series exposed (every metric, Temporal's included). */
  series?: number;
}

export type MetricsStatus = Partial<Record<MetricsPart, EndpointStatus>>;

const FILE = 'metrics.json';

/**
 * Records where this process's metrics are, for `tally status`: the parts it serves are written
 * over those recorded before, the others kept (the supervised worker and projections each write theirs).
 */
export function writeMetricsUrls(stackDir: string, urls: ServiceMetricsUrls): void {
  mkdirSync(stackDir, { recursive: true });
  const served = Object.fromEntries(Object.entries(urls).filter(([, url]) => typeof url === 'string'));
  writeFileSync(join(stackDir, FILE), `${JSON.stringify({ ...readMetricsUrls(stackDir), ...served }, null, 2)}\n`);
}

/** Forgets the parts a stopping process served; the file goes once nothing is left in it. */
export function removeMetricsUrls(stackDir: string, urls: ServiceMetricsUrls): void {
  const left = Object.fromEntries(Object.entries(readMetricsUrls(stackDir)).filter(([part]) => !(part in urls) || urls[part as MetricsPart] === undefined));
  if (Object.keys(left).length === 0) rmSync(join(stackDir, FILE), { force: true });
  else writeFileSync(join(stackDir, FILE), `${JSON.stringify(left, null, 2)}\n`);
}

function readMetricsUrls(stackDir: string): ServiceMetricsUrls {
  try {
    return JSON.parse(readFileSync(join(stackDir, FILE), 'utf8')) as ServiceMetricsUrls;
  } catch {
    return {};
  }
}

/** The URLs to scrape: those a running `tally up` recorded, else the configured fixed ports. */
export function metricsTargets(settings: MetricsSettings | undefined, stackDir?: string): Partial<Record<MetricsPart, string>> {
  const file = stackDir === undefined ? undefined : join(stackDir, FILE);
  if (file && existsSync(file)) {
    try {
      const recorded = JSON.parse(readFileSync(file, 'utf8')) as ServiceMetricsUrls;
      return Object.fromEntries(PARTS.flatMap((p) => (typeof recorded[p] === 'string' ? [[p, recorded[p]]] : [])));
    } catch {
      // unreadable: fall back on the configuration
    }
  }
  if (!settings) return {};
  return Object.fromEntries(PARTS.flatMap((p) => (typeof settings[p] === 'number' && settings[p] > 0 ? [[p, metricsUrl(settings.host, settings[p])]] : [])));
}

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Samples of Prometheus' text exposition format (comments and blank lines skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line.trim());
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = unescape(l[2]!);
    const value = Number(m[3]);
    if (!Number.isNaN(value)) samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

/** The tally_* samples by metric: a number without labels, else one entry per label set. Histogram buckets are left out. */
export function tallyValues(samples: readonly Sample[]): Record<string, number | Record<string, number>> {
  const out: Record<string, number | Record<string, number>> = {};
  for (const s of samples) {
    if (!s.name.startsWith('tally_') || s.name.endsWith('_bucket')) continue;
    const key = Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',');
    if (key === '') out[s.name] = s.value;
    else {
      const entry = out[s.name];
      const map = typeof entry === 'object' ? entry : (out[s.name] = {});
      map[key] = s.value;
    }
  }
  return out;
}

/** Scrapes one URL; never throws (an endpoint that does not answer is `up: false` with why). */
export async function scrape(url: string, timeoutMs = 2000): Promise<EndpointStatus> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { url, up: false, error: `HTTP ${response.status}` };
    const samples = parseExposition(await response.text());
    return { url, up: true, values: tallyValues(samples), series: samples.length };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { url, up: false, error: cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)) };
  }
}

/** Every target scraped, concurrently. */
export async function metricsStatus(settings: MetricsSettings | undefined, stackDir?: string): Promise<MetricsStatus> {
  const targets = Object.entries(metricsTargets(settings, stackDir)) as Array<[MetricsPart, string]>;
  const scraped = await Promise.all(targets.map(async ([part, url]) => [part, await scrape(url)] as const));
  return Object.fromEntries(scraped);
}

/** Sum of a metric's values, optionally only those whose label set contains `match` (`outcome=accepted`). */
export function total(values: EndpointStatus['values'], name: string, match?: string): number {
  const v = values?.[name];
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  return Object.entries(v).reduce((n, [key, x]) => (match === undefined || key.split(',').includes(match) ? n + x : n), 0);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function brief(part: MetricsPart, s: EndpointStatus): string {
  if (!s.up) return `not reachable (${s.error ?? 'no answer'})`;
  const v = s.values;
  switch (part) {
    case 'worker':
      return [
        `${fmt(total(v, 'tally_events_published_total'))} events published`,
        `${fmt(total(v, 'tally_reconcile_seconds_count'))} reconciles (${total(v, 'tally_reconcile_seconds_sum').toFixed(1)} s)`,
        `alerts ${fmt(total(v, 'tally_alert_deliveries_total', 'result=delivered'))} delivered, ${fmt(total(v, 'tally_alert_deliveries_total', 'result=failed'))} failed, ${fmt(total(v, 'tally_alert_deliveries_total', 'result=refused'))} refused`,
        `${fmt(total(v, 'tally_discrepancies_open'))} open discrepancies`,
      ].join(' · ');
    case 'projections':
      return [
        `rows ${fmt(total(v, 'tally_rows_total', 'outcome=accepted'))} accepted, ${fmt(total(v, 'tally_rows_total', 'outcome=rejected'))} rejected, ${fmt(total(v, 'tally_rows_total', 'outcome=duplicate'))} duplicate`,
        `drops ${fmt(total(v, 'tally_drops_total', 'status=processed'))} processed, ${fmt(total(v, 'tally_drops_total', 'status=refused'))} refused`,
        `${fmt(total(v, 'tally_insert_rows_total'))} rows inserted`,
        `lag ${fmt(total(v, 'tally_projection_lag_messages'))}`,
      ].join(' · ');
    default:
      return `up (${fmt(s.series ?? 0)} series)`;
  }
}

/** `tally status`'s metrics lines. */
export function metricsStatusLines(status: MetricsStatus): string[] {
  const parts = PARTS.filter((p) => status[p] !== undefined);
  if (parts.length === 0) return ['metrics     none configured (TALLY_METRICS_PORT=off?)'];
  const width = Math.max(...parts.map((p) => status[p]!.url.length));
  return parts.map((p, i) => `${i === 0 ? 'metrics' : ''.padEnd(7)}     ${p.padEnd(11)}  ${status[p]!.url.padEnd(width)}  ${brief(p, status[p]!)}`);
}
