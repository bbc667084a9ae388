/**
 * Reconciling a drop from its own observations as its ingest activity kept them
 * (own-observations.ts), plus only what other drops recorded in the groups it touched: the drop's
 * observations are not read back from ClickHouse, and need not be projected first.
 *
 * One bucket at a time (whole partitions, `ownPartitionOf`), one partition at a time within it:
 * the same observations per partition as `pagesOf` gives the ClickHouse read, so the same figures,
 * discrepancies and events.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ObservationRecorded } from '../domain/events.js';
import { reconcile, type PreviousState, type ReconcilePolicy, type ReconcileResult } from '../domain/reconcile/index.js';
import { disaggregationKey } from '../domain/series.js';
import { GROUPS_PER_QUERY, otherDropsObservations, previousStateOfPage } from './clickhouse.js';
import { bucketPartitions, type OwnObservations } from './own-observations.js';

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** The latest figures and open discrepancies of these groups of one indicator, GROUPS_PER_QUERY groups per query. */
async function previousStateOf(client: ClickHouseClient, indicator: string, groups: ReadonlyMap<string, string>): Promise<PreviousState> {
  const state: PreviousState = { figures: new Map(), openDiscrepancies: new Map() };
  for (const keys of chunks([...groups.keys()], GROUPS_PER_QUERY)) {
    const areas = [...new Set(keys.map((k) => groups.get(k)!))];
    const part = await previousStateOfPage(client, { indicator, areas, groupKeys: keys, observations: 0 });
    for (const [k, v] of part.figures) state.figures.set(k, v);
    for (const [k, v] of part.openDiscrepancies) state.openDiscrepancies.set(k, v);
  }
  return state;
}

/** What other drops recorded in the partitions these observations of one indicator fall in. */
async function othersOf(client: ClickHouseClient, dropId: string, indicator: string, own: readonly ObservationRecorded[]): Promise<ObservationRecorded[]> {
  const groupKeys = new Set<string>();
  const wide = new Set<string>();
  for (const o of own) {
    if (o.areaLevel >= 2) groupKeys.add(o.groupKey);
    else wide.add(disaggregationKey(o.disaggregation));
  }
  const out: ObservationRecorded[] = [];
  const keyChunks = chunks([...groupKeys], GROUPS_PER_QUERY);
  const wideChunks = chunks([...wide], GROUPS_PER_QUERY);
  for (let i = 0; i < Math.max(keyChunks.length, wideChunks.length); i++) {
    const found = await otherDropsObservations(client, { indicator, dropId, groupKeys: keyChunks[i] ?? [], wideDisaggregations: wideChunks[i] ?? [] });
    for (const o of found) out.push(o);
  }
  return out;
}

/**
 * Reconciles every bucket in turn and hands the previous state and the result to `plan`; returns
 * the indicators the drop touched.
 */
export async function reconcileOwnObservations(
  client: ClickHouseClient,
  own: OwnObservations,
  dropId: string,
  policy: ReconcilePolicy,
  plan: (previous: PreviousState, next: ReconcileResult) => Promise<void>,
): Promise<string[]> {
  const indicators = new Set<string>();
  // One partition at a time (a partition is one indicator's): at 5M rows a bucket can hold
  // several partitions of every round of a cercle, and memory then holds only one of them.
  for (let b = 0; b < own.buckets; b++) {
    for (const mine of bucketPartitions(own, b)) {
      const indicator = mine[0]!.indicator;
      indicators.add(indicator);
      const others = await othersOf(client, dropId, indicator, mine);
      // The others are each event once (read like a page) and never the drop's own.
      const all = [...mine, ...others];
      const groups = new Map(all.map((o) => [o.groupKey, o.area] as const));
      const previous = await previousStateOf(client, indicator, groups);
      await plan(previous, reconcile(all, policy));
    }
  }
  return [...indicators].sort();
}
