/** Discrepancies between sources, each with its current status. */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { SourceValue } from '../../domain/events.js';
import { isoFromClickHouse, selectRows, toNumber } from '../../adapters/clickhouse.js';
import { sourceValues } from './figures.js';
import { parseInput } from './inputs.js';

export interface DiscrepancyRow {
  discrepancyId: string;
  status: 'open' | 'resolved';
  groupKey: string;
  indicator: string;
  area: string;
  /** From the latest detection (absent when only a resolution was seen). */
  cause?: string;
  gap?: { absolute: number; relative: number };
  tolerance?: number;
  /** The source values of the latest event. */
  values: SourceValue[];
  explanation: string;
  detectedAt?: string;
  resolvedAt?: string;
  recordedAt: string;
}

/** Every discrepancy with its current status (the latest event decides), or only the open ones. */
export async function listDiscrepancies(client: ClickHouseClient, options: { open?: boolean } = {}): Promise<DiscrepancyRow[]> {
  const { open } = parseInput(z.object({ open: z.boolean().optional() }), options, 'options');
  // At equal record times a resolution wins over the detection it resolves.
  const rows = await selectRows<{
    discrepancy_id: string; current_status: 'open' | 'resolved'; g: string; ind: string; ar: string; c: string; detections: string; resolutions: string;
    ga: number; gr: number; tol: number; vals: string; expl: string; detected: string; resolved: string; last: string;
  }>(
    client,
    `SELECT * FROM (
       SELECT discrepancy_id,
         toString(argMax(status, k)) AS current_status,
         argMax(group_key, k) AS g, argMax(indicator, k) AS ind, argMax(area, k) AS ar,
         countIf(status = 'open') AS detections,
         countIf(status = 'resolved') AS resolutions,
         argMaxIf(cause, k, status = 'open') AS c,
         argMaxIf(gap_absolute, k, status = 'open') AS ga,
         argMaxIf(gap_relative, k, status = 'open') AS gr,
         argMaxIf(tolerance, k, status = 'open') AS tol,
         argMax(\`values\`, k) AS vals, argMax(explanation, k) AS expl,
         toString(maxIf(recorded_at, status = 'open')) AS detected,
         toString(maxIf(recorded_at, status = 'resolved')) AS resolved,
         toString(max(recorded_at)) AS last
       FROM (SELECT *, toUInt64(recorded_at) * 2 + toUInt64(status = 'resolved') AS k FROM discrepancies FINAL)
       GROUP BY discrepancy_id
     ) ${open ? "WHERE current_status = 'open'" : ''}
     ORDER BY ind, ar, discrepancy_id`,
  );
  return rows.map((r) => {
    const detected = toNumber(r.detections) > 0;
    const row: DiscrepancyRow = {
      discrepancyId: r.discrepancy_id,
      status: r.current_status,
      groupKey: r.g,
      indicator: r.ind,
      area: r.ar,
      values: sourceValues(r.vals),
      explanation: r.expl,
      recordedAt: isoFromClickHouse(r.last),
    };
    if (detected) Object.assign(row, { cause: r.c, gap: { absolute: r.ga, relative: r.gr }, tolerance: r.tol, detectedAt: isoFromClickHouse(r.detected) });
    if (toNumber(r.resolutions) > 0) row.resolvedAt = isoFromClickHouse(r.resolved);
    return row;
  });
}
