/**
 * Reconciliation activities: read the touched series groups back from ClickHouse, page by page,
 * reconcile each page, and publish what changed while the next page is read.
 */
import { INDICATOR_CODES } from '../domain/indicators.js';
import { planEvents, publishedBefore, reconcile, type PreviousState, type ReconcilePolicy, type ReconcileResult } from '../domain/reconcile/index.js';
import { priorityTable } from '../connectors/profiles.js';
import { GROUPS_PER_QUERY, groupsOf, indicatorsOfDrop, observationsOfPage, previousStateOfPage, type GroupInfo, type GroupPage } from './clickhouse.js';
import type { ActivityDeps } from './deps.js';
import type { Offsets } from './ingest.js';
import { pipelinedSender, untilProjected } from './ingest.js';
import { ownObservationsHere, reconcilePartition, removeOwnObservations, type OwnObservations } from './own-observations.js';
import { reconcileOwnObservations } from './reconcile-own.js';
import { groupBy } from '../domain/collections.js';
import { readOpenDiscrepanciesWith, reconcileSeconds } from '../adapters/metrics.js';
import { listDiscrepancies } from '../projections/queries.js';
import { dropLedger } from '../projections/watermark.js';
import { activityLogger } from './log.js';
import { Context } from '@temporalio/activity';

/** How often reconcileIndicators tells Temporal its worker is alive (RECONCILE's heartbeat timeout is 20 s). */
const ALIVE_EVERY_MS = 5000;

/** Heartbeats every few seconds until stopped: a killed worker's reconcile is retried after the heartbeat timeout, not after 30 minutes. */
function keepAlive(): () => void {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return () => undefined; // outside an activity (unit use)
  }
  const timer = setInterval(() => context.heartbeat(), ALIVE_EVERY_MS);
  context.heartbeat();
  return () => clearInterval(timer);
}

export interface ReconcileOutput {
  indicators: string[];
  figures: number;
  /** Event ids of newly detected discrepancies (references for alert delivery). */
  detected: string[];
  resolved: number;
  offsets: Offsets;
}

/**
 * Observations per page: memory holds about one page (and the next, being read). At 1M rows,
 * pages of 8,000 kept the worker's heap at 124-135 MB where pages of 20,000 took it to 185-201 MB
 * (near the 192 MB cap, so V8 collected all the time), and reconciled in 23.4 s instead of 28.2.
 */
export const PAGE_OBSERVATIONS = 8_000;
/** Groups per page: their keys travel in the page's queries. */
export const PAGE_GROUPS = GROUPS_PER_QUERY;

export function policyFor(deps: ActivityDeps): ReconcilePolicy {
  return { priority: priorityTable(deps.profiles, INDICATOR_CODES), tolerance: deps.config.tolerance };
}

/** A group's reconcile partition (`reconcilePartition`). */
export function partitionOf(g: Pick<GroupInfo, 'indicator' | 'areaLevel' | 'disaggregation' | 'groupKey'>): string {
  return reconcilePartition(g.indicator, g.areaLevel, g.groupKey, g.disaggregation);
}

/**
 * Pages of whole partitions, one indicator each, of about PAGE_OBSERVATIONS observations. With
 * `onlyTouched`, only partitions that hold a touched group: the others' figures cannot change.
 */
export function pagesOf(groups: readonly GroupInfo[], onlyTouched: boolean): GroupPage[] {
  const partitions = groupBy(groups, partitionOf);
  const pages: GroupPage[] = [];
  let current: { indicator: string; areas: Set<string>; groupKeys: string[]; size: number } | undefined;
  const close = () => {
    if (current) pages.push({ indicator: current.indicator, areas: [...current.areas], groupKeys: current.groupKeys, observations: current.size });
    current = undefined;
  };
  for (const members of partitions.values()) {
    if (onlyTouched && !members.some((g) => g.touched)) continue;
    const size = members.reduce((n, g) => n + g.observations, 0);
    const indicator = members[0]!.indicator;
    if (current && (current.indicator !== indicator || current.size + size > PAGE_OBSERVATIONS || current.groupKeys.length + members.length > PAGE_GROUPS)) close();
    current ??= { indicator, areas: new Set(), groupKeys: [], size: 0 };
    for (const g of members) {
      current.areas.add(g.area);
      current.groupKeys.push(g.groupKey);
    }
    current.size += size;
  }
  close();
  return pages;
}

/**
 * Observations held at once: the page being reconciled and the one read ahead. A group is never
 * split, so one long series can make a page larger than PAGE_OBSERVATIONS (at 5M bench rows a
 * cercle's group is 11,800 observations): then the next page is read after this one is done, so
 * reconcile holds at most two pages' worth or one long series, whichever is larger. (At 5M the
 * worker's peak in reconcile was 304.5 MB with read-ahead and 313.5 MB without, one run each: the
 * peak there is not made of pages alone; docs/performance.md.)
 */
export const HELD_OBSERVATIONS = 2 * PAGE_OBSERVATIONS;

/** Whether page i+1 is read while page i is reconciled. */
export function readsAhead(pages: readonly Pick<GroupPage, 'observations'>[], i: number): boolean {
  const here = pages[i];
  const next = pages[i + 1];
  return here !== undefined && next !== undefined && here.observations + next.observations <= HELD_OBSERVATIONS;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Open discrepancies per indicator, as the projections hold them (tally_discrepancies_open, read when scraped). */
export async function openDiscrepanciesByIndicator(deps: Pick<ActivityDeps, 'clickhouse'>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const d of await listDiscrepancies(deps.clickhouse, { open: true })) counts[d.indicator] = (counts[d.indicator] ?? 0) + 1;
  return counts;
}

type ReconcileInput = {
  dropId?: string;
  indicators?: string[];
  /** The drop's own observations, as its ingest activity kept them: reconciled without reading them back. */
  own?: OwnObservations;
  /** With `own`: the ingest's end offsets, waited for when this machine does not hold `own` (then ClickHouse is read). */
  ingestOffsets?: Offsets;
};

/** Times the activity (tally_reconcile_seconds) and logs its end with the drop, its source and the workflow. */
async function measured(deps: ActivityDeps, input: ReconcileInput, run: () => Promise<ReconcileOutput>): Promise<ReconcileOutput> {
  const timer = reconcileSeconds.startTimer();
  const source = input.dropId ? (await dropLedger(deps.clickhouse, input.dropId).catch(() => null))?.source : undefined;
  const log = activityLogger({ dropId: input.dropId, source });
  try {
    const out = await run();
    log.info({ indicators: out.indicators, figures: out.figures, detected: out.detected.length, resolved: out.resolved, seconds: timer() }, 'reconciled');
    return out;
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err), seconds: timer() }, 'reconcile failed');
    throw err;
  }
}

export function createReconcileActivities(deps: ActivityDeps) {
  readOpenDiscrepanciesWith(() => openDiscrepanciesByIndicator(deps));
  const activities = {
    async reconcileIndicators(input: ReconcileInput): Promise<ReconcileOutput> {
      const stop = keepAlive();
      try {
        return await reconcileNow(input);
      } finally {
        stop();
      }
    },
  };
  return { reconcileIndicators: (input: ReconcileInput) => measured(deps, input, () => activities.reconcileIndicators(input)) };

  /** Publishes planned events as they come and counts them into the activity's output. */
  function planPublisher() {
    const sender = pipelinedSender(deps.publisher, 0, () => undefined);
    let figures = 0;
    let resolved = 0;
    const detected: Array<{ groupKey: string; discrepancyId: string; eventId: string }> = [];
    return {
      /**
       * Publishes what `next` changes. With the drop being reconciled, what an earlier attempt of
       * this reconcile already published is counted too (`publishedBefore`), not published again.
       */
      async plan(previous: PreviousState, next: ReconcileResult, dropId?: string) {
        if (dropId !== undefined) {
          const before = publishedBefore(previous, next, dropId);
          figures += before.figures;
          for (const d of before.detected) detected.push({ groupKey: d.groupKey, discrepancyId: d.discrepancyId, eventId: d.eventId });
        }
        for (const event of planEvents(previous, next)) {
          if (event.type === 'FigureReconciled') figures++;
          else if (event.type === 'DiscrepancyResolved') resolved++;
          else detected.push({ groupKey: event.groupKey, discrepancyId: event.discrepancyId, eventId: event.eventId });
          const sent = sender.push(event);
          if (sent) await sent;
        }
      },
      async finish(indicators: string[]): Promise<ReconcileOutput> {
        await sender.drain();
        detected.sort((a, b) => compareText(a.groupKey, b.groupKey) || compareText(a.discrepancyId, b.discrepancyId));
        return { indicators, figures, detected: detected.map((d) => d.eventId), resolved, offsets: await deps.publisher.endOffsets() };
      },
    };
  }

  async function reconcileNow(input: ReconcileInput): Promise<ReconcileOutput> {
    if (input.own && input.dropId !== undefined) {
      if (ownObservationsHere(input.own)) {
        const plan = planPublisher();
        const dropId = input.dropId;
        const indicators = await reconcileOwnObservations(deps.clickhouse, input.own, dropId, policyFor(deps), (previous, next) => plan.plan(previous, next, dropId));
        const out = await plan.finish(indicators);
        removeOwnObservations(input.own);
        return out;
      }
      // Another machine kept them: read them from ClickHouse once the projections hold them.
      if (input.ingestOffsets) await untilProjected(deps, input.ingestOffsets);
    }
    const indicators = input.indicators ?? (input.dropId ? await indicatorsOfDrop(deps.clickhouse, input.dropId) : []);
    const onlyTouched = input.indicators === undefined && input.dropId !== undefined;
    const pages = pagesOf(await groupsOf(deps.clickhouse, indicators, onlyTouched ? input.dropId : undefined), onlyTouched);
    const policy = policyFor(deps);
    const read = (page: GroupPage) => Promise.all([observationsOfPage(deps.clickhouse, page), previousStateOfPage(deps.clickhouse, page)]);
    const plan = planPublisher();
    const start = (i: number) => {
      const reading = i < pages.length ? read(pages[i]!) : undefined;
      reading?.catch(() => undefined);
      return reading;
    };
    let next = start(0);
    for (let i = 0; i < pages.length; i++) {
      const [observations, previous] = await next!;
      // The next page is read while this one is reconciled and published, unless the two are too large together.
      const ahead = readsAhead(pages, i);
      next = ahead ? start(i + 1) : undefined;
      await plan.plan(previous, reconcile(observations, policy), onlyTouched ? input.dropId : undefined);
      if (!ahead) next = start(i + 1);
    }
    return plan.finish(indicators);
  }
}
