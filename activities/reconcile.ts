/** Reconciliation activities: read the touched indicators back from ClickHouse, reconcile, publish what changed. */
import { INDICATOR_CODES } from '../domain/indicators.js';
import { planEvents, reconcile, type ReconcilePolicy } from '../domain/reconcile/index.js';
import { priorityTable } from '../connectors/profiles.js';
import { indicatorsOfDrop, observationsOf, previousState } from './clickhouse.js';
import type { ActivityDeps } from './deps.js';
import type { Offsets } from './ingest.js';

export interface ReconcileOutput {
  indicators: string[];
  figures: number;
  /** Event ids of newly detected discrepancies (references for alert delivery). */
  detected: string[];
  resolved: number;
  offsets: Offsets;
}

export function policyFor(deps: ActivityDeps): ReconcilePolicy {
  return { priority: priorityTable(deps.profiles, INDICATOR_CODES), tolerance: deps.config.tolerance };
}

export function createReconcileActivities(deps: ActivityDeps) {
  return {
    async reconcileIndicators(input: { dropId?: string; indicators?: string[] }): Promise<ReconcileOutput> {
      const indicators = input.indicators ?? (input.dropId ? await indicatorsOfDrop(deps.clickhouse, input.dropId) : []);
      const observations = await observationsOf(deps.clickhouse, indicators);
      const previous = await previousState(deps.clickhouse, indicators);
      const events = planEvents(previous, reconcile(observations, policyFor(deps)));
      for (let i = 0; i < events.length; i += 2000) await deps.publisher.publish(events.slice(i, i + 2000));
      return {
        indicators,
        figures: events.filter((e) => e.type === 'FigureReconciled').length,
        detected: events.filter((e) => e.type === 'DiscrepancyDetected').map((e) => e.eventId),
        resolved: events.filter((e) => e.type === 'DiscrepancyResolved').length,
        offsets: await deps.publisher.endOffsets(),
      };
    },
  };
}
