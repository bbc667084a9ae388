/**
 * The pipeline's Prometheus metrics, in one module: the publisher (adapters/), the activities and
 * the projections count here, and worker/metrics-server.ts exposes each registry on its own port.
 * A process has one of each registry; the worker's is scraped on TALLY_WORKER_METRICS_PORT (9464),
 * the projections' on TALLY_PROJECTIONS_METRICS_PORT (9465), also when both run in one process.
 * Counters start at zero with the process, as Prometheus expects: `rate()` and `increase()` handle
 * restarts, and a sum over processes is the deployment's total.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The worker's metrics: publishing, reconciliation, alert delivery. */
export const workerRegistry = new Registry();
/** The projections' metrics: rows and drops projected, inserts, lag. */
export const projectionsRegistry = new Registry();

export const ROW_OUTCOMES = ['accepted', 'rejected', 'duplicate'] as const;
export type RowOutcome = (typeof ROW_OUTCOMES)[number];

// ---- the worker -----------------------------------------------------------------------------

export const eventsPublished = new Counter({
  name: 'tally_events_published_total',
  help: 'Events the broker acknowledged, per topic (a retried activity that publishes a batch again counts it again).',
  labelNames: ['topic'] as const,
  registers: [workerRegistry],
});

export const reconcileSeconds = new Histogram({
  name: 'tally_reconcile_seconds',
  help: 'Duration of reconcileIndicators activities, from reading the touched series to the last publish.',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  registers: [workerRegistry],
});

export const alertDeliveries = new Counter({
  name: 'tally_alert_deliveries_total',
  help: 'Alert delivery attempts per sink: delivered, failed (retried by Temporal) or refused (a 4xx, never retried).',
  labelNames: ['sink', 'result'] as const,
  registers: [workerRegistry],
});

/** Open discrepancies per indicator, as ClickHouse holds them: read when scraped, not kept in memory. */
export type OpenDiscrepanciesReader = () => Promise<Record<string, number>>;
let openReader: OpenDiscrepanciesReader | undefined;
/** A scrape waits at most this long for ClickHouse, then shows the last value read. */
const OPEN_READ_TIMEOUT_MS = 2000;

export const discrepanciesOpen = new Gauge({
  name: 'tally_discrepancies_open',
  help: 'Open discrepancies per indicator in ClickHouse, read at scrape time (the last value read when ClickHouse does not answer).',
  labelNames: ['indicator'] as const,
  registers: [workerRegistry],
  async collect() {
    if (!openReader) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const counts = await Promise.race([
        openReader(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), OPEN_READ_TIMEOUT_MS);
        }),
      ]);
      this.reset();
      for (const [indicator, n] of Object.entries(counts)) this.set({ indicator }, n);
    } catch {
      // ClickHouse is slow or away: keep the last value rather than fail the whole scrape
    } finally {
      clearTimeout(timer);
    }
  },
});

/** Where tally_discrepancies_open reads from (the reconcile activities set it). */
export function readOpenDiscrepanciesWith(reader: OpenDiscrepanciesReader | undefined): void {
  openReader = reader;
}

// ---- the projections ------------------------------------------------------------------------

export const rowsTotal = new Counter({
  name: 'tally_rows_total',
  help: "Rows of processed drops by outcome (accepted, rejected, duplicate), counted once per drop from its DropProcessed event once projected.",
  labelNames: ['source', 'outcome'] as const,
  registers: [projectionsRegistry],
});

export const dropsTotal = new Counter({
  name: 'tally_drops_total',
  help: 'Drops that ended, by status (processed, refused), counted once per drop from its DropProcessed event once projected.',
  labelNames: ['source', 'status'] as const,
  registers: [projectionsRegistry],
});

export const projectionLag = new Gauge({
  name: 'tally_projection_lag_messages',
  help: "Messages between the projections' committed offset and the partition's high watermark, as of the last batch.",
  labelNames: ['topic', 'partition'] as const,
  registers: [projectionsRegistry],
});

export const insertRows = new Counter({
  name: 'tally_insert_rows_total',
  help: 'Rows inserted into ClickHouse per table (redelivered messages are inserted, and counted, again).',
  labelNames: ['table'] as const,
  registers: [projectionsRegistry],
});

export const insertSeconds = new Histogram({
  name: 'tally_insert_seconds',
  help: 'Duration of one insert into one ClickHouse table.',
  labelNames: ['table'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [projectionsRegistry],
});

/** What a DropProcessed event says, as far as counting goes. */
export interface EndedDrop {
  eventId: string;
  source: string;
  status: string;
  accepted: number;
  rejected: number;
  duplicates: number;
}

/** The DropProcessed events counted by this process, oldest first, at most COUNTED_MAX. */
const counted = new Set<string>();
const COUNTED_MAX = 10_000;

/**
 * Counts an ended drop's rows and status once: a DropProcessed event seen again (a redelivery, a
 * drop re-published by a retried activity; its id is derived from the drop id) is passed over.
 * Returns false when it was counted already.
 */
export function countEndedDrop(drop: EndedDrop): boolean {
  if (counted.has(drop.eventId)) return false;
  counted.add(drop.eventId);
  if (counted.size > COUNTED_MAX) counted.delete(counted.values().next().value!);
  dropsTotal.inc({ source: drop.source, status: drop.status });
  rowsTotal.inc({ source: drop.source, outcome: 'accepted' }, drop.accepted);
  rowsTotal.inc({ source: drop.source, outcome: 'rejected' }, drop.rejected);
  rowsTotal.inc({ source: drop.source, outcome: 'duplicate' }, drop.duplicates);
  return true;
}

// ---- process metrics ------------------------------------------------------------------------

const withDefaults = new WeakSet<Registry>();

/** Adds Node's process metrics (CPU, memory, event loop, GC) to a registry, once. */
export function addProcessMetrics(registry: Registry): void {
  if (withDefaults.has(registry)) return;
  withDefaults.add(registry);
  collectDefaultMetrics({ register: registry });
}
