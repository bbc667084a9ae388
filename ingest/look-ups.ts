/**
 * What the event log already holds, asked for the aggregates a partition kept, in batches: a
 * figure an earlier drop recorded is a duplicate, a new value for a series this source reported
 * is a revision. The port is PriorKnowledge; activities/clickhouse.ts implements it.
 */
import { aggregateId, type Aggregate } from './aggregates.js';
import type { DropContext } from './drop-events.js';

/** What the event log already holds for this source, asked in batches. */
export interface PriorKnowledge {
  /**
   * For each observation id already recorded by another drop, that drop's id. `series` are the
   * series keys the ids belong to (an observation id implies its series), so a store can narrow
   * the search by them.
   */
  recordedElsewhere(ids: string[], dropId: string, series?: string[]): Promise<Map<string, string>>;
  /** Series keys this source already reported (with any value): a new value there is a revision. */
  knownSeries(keys: string[], source: string, dropId: string): Promise<Set<string>>;
  /**
   * Whether any other drop of this source recorded an observation. When none did, no figure can
   * be a duplicate of an earlier drop or a revision, and the batched look-ups are skipped.
   */
  sourceHasOtherDrops?(source: string, dropId: string): Promise<boolean>;
}

export const NO_PRIOR_KNOWLEDGE: PriorKnowledge = {
  recordedElsewhere: async () => new Map(),
  knownSeries: async () => new Set(),
};

/** Aggregates per look-up. */
const BATCH = 1000;

/** Calls `ask` with each batch of `items` in order, after `alive()`. */
async function inBatches<T>(items: T[], alive: () => void, ask: (batch: T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    alive();
    await ask(items.slice(i, i + BATCH));
  }
}

/** Gives each kept aggregate its outcome: a duplicate of the drop that recorded it first, or published. */
export async function settleAgainstLog(kept: Aggregate[], ctx: DropContext, prior: PriorKnowledge, alive: () => void): Promise<void> {
  await inBatches(kept, alive, async (batch) => {
    const ids = batch.map((agg) => aggregateId(ctx.source, agg));
    const elsewhere = await prior.recordedElsewhere(ids, ctx.dropId, batch.map((agg) => agg.series));
    batch.forEach((agg, j) => {
      const id = ids[j]!;
      const earlier = elsewhere.get(id);
      agg.outcome = earlier
        ? { kind: 'duplicate', reason: 'earlier_drop', detail: `the same figure was recorded from drop ${earlier.slice(0, 12)}`, observationId: id }
        : { kind: 'publish', observationId: id };
    });
  });
}

/** How many of the published aggregates revise a series this source reported before. */
export async function countRevisions(kept: Aggregate[], ctx: DropContext, prior: PriorKnowledge, alive: () => void): Promise<number> {
  const published = kept.filter((a) => a.outcome?.kind === 'publish');
  let revisions = 0;
  await inBatches(published, alive, async (batch) => {
    const known = await prior.knownSeries(batch.map((a) => a.series), ctx.source, ctx.dropId);
    revisions += batch.filter((a) => known.has(a.series)).length;
  });
  return revisions;
}
