/** Small drops written to a scratch directory and read through processDrop, with their events. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDrop } from '../../../connectors/open.js';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import type { ObservationRecorded, RowDuplicated, RowRejected, TallyEvent } from '../../../domain/events.js';
import { planColumns, type ColumnPlan } from '../../../ingest/mapping.js';
import { processDrop, type ProcessedDrop, type ProcessOptions } from '../../../ingest/process-drop.js';

export const scratch = mkdtempSync(join(tmpdir(), 'tally-unit-ingest-'));
export const removeScratch = () => rmSync(scratch, { recursive: true, force: true });

export const ctx = { dropId: 'd1', source: 'dtm', fileName: 'drop.csv', receivedAt: '2026-12-01T00:00:00Z' };

let n = 0;
/** Writes `lines` as a CSV drop and returns its path. */
export function csvDrop(lines: string[]): string {
  const path = join(scratch, `drop-${++n}.csv`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

export interface Read {
  counts: ProcessedDrop;
  observations: ObservationRecorded[];
  rejected: RowRejected[];
  duplicated: RowDuplicated[];
  /** value per series key */
  values: Record<string, number>;
}

/** processDrop over the lines, with the dtm profile (or `source`) and the drop received on 2026-12-01. */
export async function read(lines: string[], options: ProcessOptions & { source?: string } = {}): Promise<Read> {
  const events: TallyEvent[] = [];
  const path = csvDrop(lines);
  const profile = getProfile(options.source ?? 'dtm', loadProfiles());
  const counts = await processDrop(await openDrop(path, { fileName: 'drop.csv' }), profile, ctx, (e) => void events.push(e), { today: '2026-12-01', horizonDays: 365, ...options });
  const observations = events.filter((e): e is ObservationRecorded => e.type === 'ObservationRecorded');
  return {
    counts,
    observations,
    rejected: events.filter((e): e is RowRejected => e.type === 'RowRejected'),
    duplicated: events.filter((e): e is RowDuplicated => e.type === 'RowDuplicated'),
    values: Object.fromEntries(observations.map((o) => [o.seriesKey, o.value])),
  };
}

/** The column plan of the lines, as the dtm profile reads them. */
export async function planOf(lines: string[]): Promise<ColumnPlan> {
  return planColumns(await openDrop(csvDrop(lines), { fileName: 'drop.csv' }), getProfile('dtm', loadProfiles()));
}
