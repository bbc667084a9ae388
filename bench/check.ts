/**
 * What a tally run left in ClickHouse, against what its workflow says it accepted and published:
 * the accepted rows (the distinct row numbers of the drop's observations), its observations and
 * figures, and its rejected rows. The same lookup on every projection path, so that rows one path
 * loses on the way show as a shortfall instead of a faster run.
 */
import { openClickHouse, selectRows, toNumber } from '../adapters/clickhouse.js';
import { quoteString } from '../adapters/sql.js';
import type { TallyConfig } from '../infra/config.js';

export interface RowCounts {
  /** Accepted rows: each is in at least one of the drop's observations (`rows` holds its row number). */
  accepted: number;
  observations: number;
  figures: number;
  rejected: number;
}

export interface RowCheck {
  /** What the workflow reported: accepted and rejected rows, observations and figures published. */
  expected: RowCounts;
  /** What ClickHouse holds for the drop (FINAL: redelivered copies count once). */
  found: RowCounts;
  /** One line per count below the expected one; empty when everything arrived. */
  shortfalls: string[];
}

const LABELS: Record<keyof RowCounts, string> = {
  accepted: 'accepted rows in observations',
  observations: 'observations',
  figures: 'figures',
  rejected: 'rejected rows in rejections',
};

/** `observations: expected 250,000 in ClickHouse, found 249,776 (224 missing)` for every count that falls short. */
export function shortfallsOf(expected: RowCounts, found: RowCounts): string[] {
  const fmt = (n: number) => n.toLocaleString('en');
  return (Object.keys(LABELS) as (keyof RowCounts)[])
    .filter((k) => found[k] < expected[k])
    .map((k) => `${LABELS[k]}: expected ${fmt(expected[k])} in ClickHouse, found ${fmt(found[k])} (${fmt(expected[k] - found[k])} missing)`);
}

export async function checkRows(config: TallyConfig, dropId: string, expected: RowCounts): Promise<RowCheck> {
  const client = await openClickHouse(config.stack.clickhouse, { createDatabase: false });
  const drop = quoteString(dropId);
  const one = async (query: string) => toNumber((await selectRows<{ n: string }>(client, query))[0]?.n);
  try {
    const found: RowCounts = {
      accepted: await one(`SELECT uniqExact(row) AS n FROM observations FINAL ARRAY JOIN rows AS row WHERE drop_id = ${drop}`),
      observations: await one(`SELECT uniqExact(event_id) AS n FROM observations WHERE drop_id = ${drop}`),
      // Figures name the sources they were chosen from, not the drop: this run's database holds this drop's only.
      figures: await one('SELECT uniqExact(event_id) AS n FROM figures'),
      rejected: await one(`SELECT uniqExact(row) AS n FROM rejections WHERE drop_id = ${drop}`),
    };
    return { expected, found, shortfalls: shortfallsOf(expected, found) };
  } finally {
    await client.close();
  }
}
