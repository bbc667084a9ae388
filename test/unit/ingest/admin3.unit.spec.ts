/**
 * Rows at admin level 3, read from a real file: IOM DTM Mali baseline assessment round 72 (HDX
 * XLSX, one row per commune, DTM's alpha-3 P-codes such as MLI010111; test/fixtures/real/SOURCES.md).
 *
 * - No admin-3 list (the bundled lists stop at admin 2): each row is summed into its admin-2 area,
 *   and the drop's notices say so, rows counted.
 * - With a user's admin-3 list loaded (what TALLY_PCODES_FILE does; here addPlaceList in this
 *   test file's own process): each row stays at level 3.
 *
 * The expected figures are test/fixtures/real/expected.json, computed by expected.py with Python's
 * standard library from the same file: `sums` per #adm3 code (level 3) and `rollups['#adm2']`
 * (level 2); the list loaded is its `adm3_places` (code, name and admin-2 code read off the file),
 * written in the COD's alpha-2 form (ML010111 under ML0101).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDrop } from '../../../connectors/open.js';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import type { ObservationRecorded, RowRejected, TallyEvent } from '../../../domain/events.js';
import { addPlaceList } from '../../../domain/place-list.js';
import { deepestLevel } from '../../../domain/places.js';
import { processDrop, type ProcessedDrop } from '../../../ingest/process-drop.js';
import { csvDrop } from './support.js';

const REAL = new URL('../../fixtures/real/', import.meta.url);
const FILE = 'hxl-dtm-mali-baseline-assessment-round-72.xlsx';
type Sum = [pcode: string, level: string, date: string, indicator: string, sum: number | null, rows: number, values: number, missing: number, nonNumeric: number];
const ORACLE = (JSON.parse(readFileSync(new URL('expected.json', REAL), 'utf8')) as {
  files: Record<string, { row_count: number; sums: Sum[]; rollups: Record<string, Sum[]>; adm3_places: Array<[string, string, string]> }>;
}).files[FILE]!;
/** expected.py's indicator keys (attributes sorted) as the pipeline's indicator and unit; returnee households map to nothing. */
const INDICATOR: Record<string, string> = {
  '#affected+hh+idps': 'idp_households households',
  '#affected+idps+ind': 'idps individuals',
  '#affected+ind+returnees': 'idp_returnees individuals',
};
const cod = (dtmCode: string) => `ML${dtmCode.slice(3)}`;

async function ingest(path: string, fileName: string): Promise<{ counts: ProcessedDrop; observations: ObservationRecorded[]; rejected: RowRejected[] }> {
  const events: TallyEvent[] = [];
  const counts = await processDrop(await openDrop(path, { fileName }), getProfile('dtm', loadProfiles()), { dropId: 'd1', source: 'dtm', fileName, receivedAt: '2024-01-01T00:00:00Z' }, (e) => void events.push(e));
  return {
    counts,
    observations: events.filter((e): e is ObservationRecorded => e.type === 'ObservationRecorded'),
    rejected: events.filter((e): e is RowRejected => e.type === 'RowRejected'),
  };
}

const figures = (observations: ObservationRecorded[]) => observations.map((o) => `${o.area} ${o.areaLevel} ${o.period.kind === 'stock' ? o.period.date : ''} ${o.indicator} ${o.unit} ${o.value}`).sort();
const expected = (sums: Sum[], level: number) =>
  sums.filter(([, , , indicator, sum]) => INDICATOR[indicator] && sum !== null).map(([pcode, , date, indicator, sum]) => `${cod(pcode)} ${level} ${date} ${INDICATOR[indicator]} ${sum}`).sort();

describe('admin-3 rows (DTM Mali round 72, one row per commune)', () => {
  it('without an admin-3 list: sums each row into its admin-2 area, and says so in the notices', async () => {
    expect(deepestLevel('MLI')).toBe(2);
    const { counts, observations } = await ingest(new URL(FILE, REAL).pathname, FILE);
    expect(counts).toMatchObject({ rows: ORACLE.row_count, accepted: 56, rejected: 0, duplicates: 0 });
    expect(figures(observations)).toEqual(expected(ORACLE.rollups['#adm2']!, 2));
    expect(counts.notices).toContainEqual({
      kind: 'ignored_column',
      detail:
        'admin level 3 ("Admin 3 pcode", "Admin 3"): no admin-3 P-code list of Mali is loaded, so these rows are summed into their admin-2 area; TALLY_PCODES_FILE adds such a list and keeps them at level 3',
      rows: 56,
    });
  });

  it('with an admin-3 list loaded: keeps every row at level 3, its commune the place', async () => {
    const list = ['Location,Admin Level,P-Code,Name,Parent P-Code', ...ORACLE.adm3_places.map(([code, name, parent]) => `MLI,3,${cod(code)},"${name}",${cod(parent)}`)];
    expect(addPlaceList(list.join('\n') + '\n', 'mli-adm3.csv')).toBe(56);
    expect(deepestLevel('MLI')).toBe(3);
    const { counts, observations } = await ingest(new URL(FILE, REAL).pathname, FILE);
    expect(counts).toMatchObject({ rows: 56, accepted: 56, rejected: 0, duplicates: 0 });
    // Two cells expected.py reads as 0 the XLSX reader reads as empty: formula cells (P3 `M3+N3`,
    // P4 the master of a shared formula) whose cached value is <v>0</v>, a result exceljs 4.4.0
    // drops when it is 0. At admin 2 they add nothing; at admin 3 they are two figures of 0 missing.
    const unread = ['ML090101 3 2021-09-30 idp_returnees individuals 0', 'ML090102 3 2021-09-30 idp_returnees individuals 0'];
    const want = expected(ORACLE.sums, 3);
    expect(want).toEqual(expect.arrayContaining(unread));
    expect(figures(observations)).toEqual(want.filter((f) => !unread.includes(f)));
    expect(counts.notices.some((n) => n.detail.includes('admin level 3'))).toBe(false);
  });

  it('with the list loaded, rejects an admin-3 P-code it does not have, naming it', async () => {
    const path = csvDrop(['Admin 2 pcode,Admin 3 pcode,IDPs,Date', '#adm2+code,#adm3+code,#affected+idps+ind,#date+reported', 'ML0101,ML010111,21,2021-09-30', 'ML0101,ML010199,5,2021-09-30']);
    const { counts, observations, rejected } = await ingest(path, 'communes.csv');
    expect(counts).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
    expect(observations.map((o) => [o.area, o.areaLevel, o.value])).toEqual([['ML010111', 3, 21]]);
    expect(rejected[0]!.reason).toContain('column "Admin 3 pcode": expected a commune of Mali (name or P-code), found "ML010199"');
    expect(rejected[0]!.kind).toBe('unknown_place');
  });
});
