/**
 * API drops read right, without engines: UNHCR's per-origin rows give each origin's figure and the
 * host country's total; DTM's operations are each a series and a part of DTM's total for the place
 * and date. The figures are compared with test/fixtures/real/expected.json, which expected.py
 * computes from the same fixtures with Python's standard library only (UNHCR: per year and
 * coa_iso, the sum over the origin rows, "-" missing, "0" zero; DTM: `observations` per operation,
 * and `totals_over_operations`, per P-code and date the sum of the operations' figures).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDrop } from '../../../connectors/open.js';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import type { ObservationRecorded, TallyEvent } from '../../../domain/events.js';
import { referenceDate } from '../../../domain/periods.js';
import { SourceProfile } from '../../../domain/profile.js';
import { processDrop, type ProcessedDrop } from '../../../ingest/process-drop.js';

const REAL = new URL('../../fixtures/real/', import.meta.url);
const EXPECTED = JSON.parse(readFileSync(new URL('expected.json', REAL), 'utf8')) as {
  files: Record<string, { row_count: number; per_year_coa: Array<Record<string, number | string | null>>; per_row: Array<Record<string, number | string | null>> }>;
};
const dir = mkdtempSync(join(tmpdir(), 'tally-api-drops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const profiles = loadProfiles(undefined);

async function ingest(path: string, source: string): Promise<{ counts: ProcessedDrop; events: TallyEvent[]; observations: ObservationRecorded[] }> {
  const events: TallyEvent[] = [];
  const fileName = path.split('/').at(-1)!;
  const counts = await processDrop(await openDrop(path, { fileName }), getProfile(source, profiles), { dropId: 'a'.repeat(64), source, fileName, receivedAt: '2025-06-01T00:00:00Z' }, (e) => void events.push(e));
  const observations = events.filter((e): e is ObservationRecorded => e.type === 'ObservationRecorded');
  return { counts, events, observations };
}

const year = (o: ObservationRecorded) => Number(referenceDate(o.period).slice(0, 4));
const INDICATORS = ['refugees', 'asylum_seekers', 'returned_refugees', 'idps'] as const;

describe('UNHCR population API, one row per origin (coo_all=true), Mali as country of asylum', () => {
  const file = 'unhcr-population-coo_all-coa-MLI.json';
  const expected = EXPECTED.files[file]!;
  const run = ingest(new URL(file, REAL).pathname, 'unhcr');

  it('accepts every row: none is a duplicate, none rejected', async () => {
    const { counts } = await run;
    expect(counts).toMatchObject({ rows: expected.row_count, accepted: expected.row_count, rejected: 0, duplicates: 0 });
  });

  it("gives Mali's totals as the sum over origins, year by year, as expected.py computes them", async () => {
    const { observations } = await run;
    const totals = observations.filter((o) => Object.keys(o.disaggregation).length === 0);
    for (const indicator of INDICATORS) {
      const got = Object.fromEntries(totals.filter((o) => o.indicator === indicator).map((o) => [year(o), o.value]));
      const want = Object.fromEntries(expected.per_year_coa.filter((y) => y[indicator] !== null).map((y) => [y.year, y[indicator]]));
      expect(got, indicator).toEqual(want);
    }
    const refugees = (y: number) => totals.find((o) => o.indicator === 'refugees' && year(o) === y)?.value;
    expect([2019, 2020, 2021, 2022, 2023, 2024].map(refugees)).toEqual([26_672, 47_380, 49_975, 60_637, 66_443, 135_533]);
    // The IDPs are the row whose origin is Mali itself; the other origins add zeros.
    expect(totals.find((o) => o.indicator === 'idps' && year(o) === 2020)?.value).toBe(332_957);
  });

  it('gives each origin its own figure, by ISO3 (BFA, not UNHCR\'s BKF), each from its one row', async () => {
    const { observations } = await run;
    const byOrigin = observations.filter((o) => o.indicator === 'refugees' && o.disaggregation.origin !== undefined);
    const want = expected.per_row.filter((r) => r.refugees !== null).map((r) => `${r.year} ${String(r.coo_iso).toLowerCase()} ${r.refugees}`);
    expect(byOrigin.map((o) => `${year(o)} ${o.disaggregation.origin} ${o.value}`).sort()).toEqual(want.sort());
    expect(byOrigin.every((o) => o.rows.length === 1 && o.area === 'MLI')).toBe(true);
    expect(byOrigin.find((o) => year(o) === 2020 && o.disaggregation.origin === 'bfa')?.value).toBe(
      expected.per_row.find((r) => r.year === 2020 && r.coo_iso === 'BFA')?.refugees,
    );
    expect(byOrigin.some((o) => o.disaggregation.origin === 'bkf')).toBe(false);
  });
});

describe('UNHCR population API asked for one origin (coo=BKF): that origin\'s figures, never the host\'s total', () => {
  /**
   * An answer to coa=MLI&coo=BKF has, per year, the one row coo_all=true gives for that origin: so
   * these are the real rows of unhcr-population-coo_all-coa-MLI.json whose coo_iso is BFA, in an
   * api-drop as `tally ingest --url` lands it. Expected: expected.json's per_row for BFA.
   */
  const file = 'unhcr-population-coo_all-coa-MLI.json';
  const real = JSON.parse(readFileSync(new URL(file, REAL), 'utf8')) as { items: Array<Record<string, unknown>> };
  const items = real.items.filter((i) => i.coo_iso === 'BFA');
  const path = join(dir, 'unhcr-coa-mli-coo-bkf.json');
  writeFileSync(path, JSON.stringify({ kind: 'api-drop', url: 'https://api.unhcr.org/population/v1/population/?coa=MLI&coo=BKF', responses: [{ page: 1, maxPages: 1, total: [], items }] }));
  const run = (async () => {
    const events: TallyEvent[] = [];
    const counts = await processDrop(await openDrop(path, { fileName: 'unhcr-coa-mli-coo-bkf.json' }), getProfile('unhcr', profiles), { dropId: 'b'.repeat(64), source: 'unhcr', fileName: 'unhcr-coa-mli-coo-bkf.json', receivedAt: '2025-06-01T00:00:00Z' }, (e) => void events.push(e));
    return { counts, observations: events.filter((e): e is ObservationRecorded => e.type === 'ObservationRecorded') };
  })();

  it("gives Burkina Faso's refugees in Mali, year by year, as origin=bfa", async () => {
    const { counts, observations } = await run;
    expect(counts).toMatchObject({ rows: items.length, accepted: items.length, rejected: 0, duplicates: 0 });
    const want = EXPECTED.files[file]!.per_row.filter((r) => r.coo_iso === 'BFA' && r.refugees !== null).map((r) => `${r.year} ${r.refugees}`);
    const got = observations.filter((o) => o.indicator === 'refugees').map((o) => `${year(o)} ${o.value}`);
    expect(got.sort()).toEqual(want.sort());
    expect(observations.every((o) => o.area === 'MLI' && o.disaggregation.origin === 'bfa')).toBe(true);
    // 2020: 12,890 from Burkina Faso, of the 47,380 refugees in Mali (expected.json, over every origin).
    expect(observations.find((o) => o.indicator === 'refugees' && year(o) === 2020)?.value).toBe(12_890);
  });

  it('builds no total for Mali, and says why in the drop\'s notices', async () => {
    const { counts, observations } = await run;
    expect(observations.filter((o) => Object.keys(o.disaggregation).length === 0)).toEqual([]);
    const notice = counts.notices.find((n) => n.kind === 'no_total');
    expect(notice?.detail).toContain('every row has origin BFA (column "coo_iso")');
    expect(notice?.detail).toContain("not the country's total");
  });

  it('rejects the one row of an answer by origin alone (coo=SYR, no coa), saying "-" names no country', async () => {
    const { counts, events, observations } = await ingest(new URL('unhcr-population-coo-SYR-2023-totals.json', REAL).pathname, 'unhcr');
    expect(counts).toMatchObject({ rows: 1, accepted: 0, rejected: 1 });
    expect(observations).toEqual([]);
    const rejected = events.find((e) => e.type === 'RowRejected');
    expect(rejected?.type === 'RowRejected' && rejected.reason).toContain('"-" names no country, so the row\'s figure is no place\'s');
  });
});

describe('UNHCR population API, totals (no origin)', () => {
  it('gives one figure per indicator and year: "-" is not available, "0" is zero, no origin', async () => {
    const path = join(dir, 'unhcr-totals.json');
    const items = [
      { year: 2023, coo_id: '-', coo_name: '-', coo: '-', coo_iso: '-', coa_name: 'Mali', coa: 'MLI', coa_iso: 'MLI', refugees: 66443, asylum_seekers: '0', returned_refugees: '-', idps: 354739 },
    ];
    writeFileSync(path, JSON.stringify({ page: 1, maxPages: 1, total: [], items }));
    const { counts, observations } = await ingest(path, 'unhcr');
    expect(counts).toMatchObject({ rows: 1, accepted: 1, rejected: 0, duplicates: 0 });
    expect(observations.map((o) => [o.indicator, o.value, o.disaggregation])).toEqual([
      ['refugees', 66443, {}],
      ['asylum_seekers', 0, {}],
      ['idps', 354739, {}],
    ]);
  });
});

describe('DTM API v3: operations are series and parts of the total, displacement reasons are summed', () => {
  /** Items shaped as the real v3 answers are (keys, "Not available" origins, yearReportingDate), for Mali. */
  function item(operation: string, reason: string, n: number, assessmentType = 'BA', round = 12) {
    return {
      id: n,
      operation,
      admin0Name: 'Mali',
      admin0Pcode: 'MLI',
      admin1Name: 'Mopti',
      admin1Pcode: 'ML05',
      numPresentIdpInd: n,
      reportingDate: '2021-06-30T00:00:00',
      yearReportingDate: 2021,
      monthReportingDate: 6,
      roundNumber: round,
      displacementReason: reason,
      numberMales: null,
      numberFemales: null,
      idpOriginAdmin1Name: 'Not available',
      idpOriginAdmin1Pcode: 'Not available',
      assessmentType,
    };
  }
  function drop(name: string, result: unknown[], url?: string): string {
    const path = join(dir, name);
    const envelope = { result, statusCode: 200, isSuccess: true, errorMessages: [], totalRecordsCount: result.length };
    writeFileSync(path, JSON.stringify(url ? { kind: 'api-drop', url, responses: [envelope] } : envelope));
    return path;
  }

  it('keeps two operations at one place and date apart, sums them into the total, and settles BA/SA copies within each', async () => {
    const result = [
      item('Mali Conflict', 'Conflict', 1000),
      item('Mali Conflict', 'Natural disaster', 200),
      item('Mali Conflict', 'Conflict', 1000, 'SA'),
      item('Mali Conflict', 'Natural disaster', 200, 'SA'),
      // Another operation's own rounds: round 3 is not older than Mali Conflict's round 12, it is another part.
      item('Mali Floods 2021', 'Natural disaster', 50, 'BA', 3),
    ];
    const { counts, observations, events } = await ingest(drop('dtm-v3-two-operations.json', result), 'dtm');
    expect(observations.map((o) => [o.area, o.disaggregation, o.value, o.rows])).toEqual([
      ['ML05', { operation: 'mali conflict' }, 1200, [1, 2]],
      ['ML05', {}, 1250, [1, 2, 5]],
      ['ML05', { operation: 'mali floods 2021' }, 50, [5]],
    ]);
    // The SA copy of round 12 has the BA copy's count: its two rows are duplicates, nothing else is.
    expect(counts).toMatchObject({ rows: 5, accepted: 3, rejected: 0, duplicates: 2 });
    const duplicated = events.filter((e) => e.type === 'RowDuplicated');
    expect(duplicated.map((e) => (e.type === 'RowDuplicated' ? [e.row, e.reason] : []))).toEqual([
      [3, 'assessment_copy'],
      [4, 'assessment_copy'],
    ]);
    expect(counts.notices.find((n) => n.kind === 'summed_parts')?.detail).toBe(
      '1 total (no operation) add up 2 operation values, each also its own series: "operation=mali conflict", "operation=mali floods 2021"',
    );
  });

  it("reads a drop of one operation as the total too: the operation's figures are DTM's for the place", async () => {
    const result = [item('Mali Conflict', 'Conflict', 1000), item('Mali Conflict', 'Natural disaster', 200)];
    const { counts, observations } = await ingest(drop('dtm-v3-one-operation.json', result), 'dtm');
    expect(observations.map((o) => [o.disaggregation, o.value, o.rows])).toEqual([
      [{ operation: 'mali conflict' }, 1200, [1, 2]],
      [{}, 1200, [1, 2]],
    ]);
    expect(counts).toMatchObject({ rows: 2, accepted: 2, rejected: 0, duplicates: 0 });
    expect(counts.notices.map((n) => n.kind)).not.toContain('no_total');
    expect(counts.notices.map((n) => n.kind)).not.toContain('summed_parts');
  });

  it('reads an answer to a request for one operation (Operation=) as that operation only: no total, a no_total notice', async () => {
    const result = [item('Mali Conflict', 'Conflict', 1000), item('Mali Conflict', 'Natural disaster', 200)];
    const url = 'https://dtmapi.iom.int/v3/displacement/admin1?Admin0Pcode=MLI&Operation=Mali+Conflict';
    const { counts, observations } = await ingest(drop('dtm-mli-admin1-operation-mali-conflict.json', result, url), 'dtm');
    expect(observations.map((o) => [o.disaggregation, o.value])).toEqual([[{ operation: 'mali conflict' }, 1200]]);
    expect(counts).toMatchObject({ rows: 2, accepted: 2, rejected: 0, duplicates: 0 });
    const notice = counts.notices.find((n) => n.kind === 'no_total');
    expect(notice?.detail).toContain('the request asked for one operation (Operation=Mali Conflict)');
    expect(notice?.detail).toContain('not the total for their place and date');
  });

  it('reads the same rows from a request for the whole country (no Operation=) as the total too', async () => {
    const result = [item('Mali Conflict', 'Conflict', 1000)];
    const url = 'https://dtmapi.iom.int/v3/displacement/admin1?Admin0Pcode=MLI';
    const { observations, counts } = await ingest(drop('dtm-mli-admin1.json', result, url), 'dtm');
    expect(observations.map((o) => [o.disaggregation, o.value])).toEqual([
      [{ operation: 'mali conflict' }, 1000],
      [{}, 1000],
    ]);
    expect(counts.notices.map((n) => n.kind)).not.toContain('no_total');
  });

  it("reads one operation as a part only in a profile whose operation is 'part' when alone, as UNHCR's origin", async () => {
    const dtm = getProfile('dtm', profiles);
    const partOnly = { ...dtm, columns: { ...dtm.columns, alone: {} } };
    const path = drop('dtm-one-operation-part.json', [item('Mali Conflict', 'Conflict', 1000)]);
    const events: TallyEvent[] = [];
    const fileName = 'dtm-one-operation-part.json';
    const counts = await processDrop(await openDrop(path, { fileName }), partOnly, { dropId: 'c'.repeat(64), source: 'dtm', fileName, receivedAt: '2025-06-01T00:00:00Z' }, (e) => void events.push(e));
    const observations = events.filter((e): e is ObservationRecorded => e.type === 'ObservationRecorded');
    expect(observations.map((o) => o.disaggregation)).toEqual([{ operation: 'mali conflict' }]);
    expect(counts.notices.find((n) => n.kind === 'no_total')?.detail).toContain('every row has operation Mali Conflict (column "operation")');
  });

  it("refuses a profile whose `alone` names a disaggregation that is not summed over", () => {
    const dtm = getProfile('dtm', profiles);
    const notSummed = SourceProfile.safeParse({ ...dtm, columns: { ...dtm.columns, alone: { sex: 'whole' } } });
    expect(notSummed.success).toBe(false);
    expect(notSummed.error?.issues[0]?.message).toBe('expected a disaggregation of columns.disaggregations whose column is also in columns.sumOver, found "sex" not summed over');
    expect(notSummed.error?.issues[0]?.path).toEqual(['columns', 'alone', 'sex']);
    const unknown = SourceProfile.safeParse({ ...dtm, columns: { ...dtm.columns, alone: { origin: 'part' } } });
    expect(unknown.error?.issues[0]?.message).toContain('found "origin" not a disaggregation');
    expect(SourceProfile.safeParse(dtm).success).toBe(true);
  });

  it('gives an older round of one operation its rejection, whatever the other operations report that date', async () => {
    const result = [item('Mali Conflict', 'Conflict', 900, 'BA', 11), item('Mali Conflict', 'Conflict', 1000, 'BA', 12), item('Mali Floods 2021', 'Conflict', 50, 'BA', 3)];
    const { counts, observations, events } = await ingest(drop('dtm-v3-older-round.json', result), 'dtm');
    expect(observations.map((o) => [o.disaggregation, o.value, o.rows])).toEqual([
      [{ operation: 'mali conflict' }, 1000, [2]],
      [{}, 1050, [2, 3]],
      [{ operation: 'mali floods 2021' }, 50, [3]],
    ]);
    expect(counts).toMatchObject({ rows: 3, accepted: 2, rejected: 1, duplicates: 0 });
    const rejected = events.filter((e) => e.type === 'RowRejected');
    expect(rejected.map((e) => (e.type === 'RowRejected' ? [e.row, e.kind, e.expected] : []))).toEqual([[1, 'older_round', 'round 12 only']]);
  });
});

describe("DTM API v3, Haiti's real answers: five operations, two of them on one date", () => {
  /**
   * expected.py's DTM observations: one per (operation, P-code, date, round), the BA copy counted
   * when a round has BA and SA; and its totals_over_operations: per (P-code, date), the sum of the
   * operations' observations (each operation's latest round of that date).
   */
  interface Expected {
    row_count: number;
    observations: Array<{ operation: string; pcode: string; date: string; round: number; idps: number | null; copies: number; copies_agree: boolean }>;
    totals_over_operations: Array<{ pcode: string; date: string; idps: number | null; operations: string[] }>;
  }
  const files = EXPECTED.files as unknown as Record<string, Expected>;

  it.each(['dtm-v3-displacement-admin0-admin0pcode-hti.json', 'dtm-v3-displacement-admin1-admin0pcode-hti.json'])(
    '%s: one series per operation and the totals over operations, each figure as expected.py computes it',
    async (file) => {
      const expected = files[file]!;
      const { counts, observations } = await ingest(new URL(file, REAL).pathname, 'dtm');
      const idps = observations.filter((o) => o.indicator === 'idps');
      const [ofOperations, totals] = [idps.filter((o) => o.disaggregation.operation !== undefined), idps.filter((o) => Object.keys(o.disaggregation).length === 0)];
      expect(ofOperations.length + totals.length).toBe(idps.length);
      const got = ofOperations.map((o) => `${o.disaggregation.operation} ${o.area} ${referenceDate(o.period)} ${o.value}`);
      const want = expected.observations.map((o) => `${o.operation.toLowerCase()} ${o.pcode} ${o.date} ${o.idps}`);
      expect(got.sort()).toEqual(want.sort());
      const gotTotals = totals.map((o) => `${o.area} ${referenceDate(o.period)} ${o.value}`);
      const wantTotals = expected.totals_over_operations.map((t) => `${t.pcode} ${t.date} ${t.idps}`);
      expect(gotTotals.sort()).toEqual(wantTotals.sort());
      // The only rows not accepted: SA copies of a round that also has a BA copy (duplicates when they agree, else a rejection).
      expect(counts.rows).toBe(expected.row_count);
      expect(counts.rejected).toBe(expected.observations.filter((o) => o.copies > 1 && !o.copies_agree).length);
      expect(counts.accepted + counts.rejected + counts.duplicates).toBe(counts.rows);
    },
  );

  it('sums Haiti Earthquake (round 28) and Hurricane Matthew (round 2) into the 2016-12-31 total, and names them', async () => {
    const { counts, observations } = await ingest(new URL('dtm-v3-displacement-admin0-admin0pcode-hti.json', REAL).pathname, 'dtm');
    const that = observations.filter((o) => o.indicator === 'idps' && referenceDate(o.period) === '2016-12-31');
    expect(that.map((o) => [o.area, o.disaggregation.operation ?? '(total)', o.value]).sort()).toEqual([
      ['HTI', '(total)', 89_244],
      ['HTI', 'haiti earthquake', 46_691],
      ['HTI', 'hurricane matthew', 42_553],
    ]);
    expect(new Set(that.map((o) => o.seriesKey)).size).toBe(3);
    // 89,244 = 46,691 + 42,553: expected.json totals_over_operations for HTI 2016-12-31.
    const total = files['dtm-v3-displacement-admin0-admin0pcode-hti.json']!.totals_over_operations.find((t) => t.date === '2016-12-31');
    expect(total).toEqual({ pcode: 'HTI', date: '2016-12-31', idps: 89_244, operations: ['Haiti Earthquake', 'Hurricane Matthew'] });
    expect(counts.notices.find((n) => n.kind === 'summed_parts')?.detail).toBe(
      '1 total (no operation) add up 2 operation values, each also its own series: "operation=haiti earthquake", "operation=hurricane matthew"',
    );
  });
});

describe("DTM API v3, Chad's real answers: one operation, so the totals are the operation's figures", () => {
  const files = EXPECTED.files as unknown as Record<string, { totals_over_operations: Array<{ pcode: string; date: string; idps: number | null; operations: string[] }> }>;

  it.each(['dtm-v3-displacement-admin0-admin0pcode-tcd.json', 'dtm-v3-displacement-admin1-admin0pcode-tcd.json', 'dtm-v3-displacement-admin2-admin0pcode-tcd.json'])(
    '%s: a total per place and date, equal to the Lake Chad Basin Crisis figure, as expected.py computes it',
    async (file) => {
      const { counts, observations } = await ingest(new URL(file, REAL).pathname, 'dtm');
      const idps = observations.filter((o) => o.indicator === 'idps');
      const totals = idps.filter((o) => Object.keys(o.disaggregation).length === 0).map((o) => `${o.area} ${referenceDate(o.period)} ${o.value}`);
      const operation = idps.filter((o) => o.disaggregation.operation === 'lake chad basin crisis').map((o) => `${o.area} ${referenceDate(o.period)} ${o.value}`);
      expect(totals.sort()).toEqual(files[file]!.totals_over_operations.map((t) => `${t.pcode} ${t.date} ${t.idps}`).sort());
      expect(totals).toEqual(operation.sort());
      expect(counts.notices.map((n) => n.kind)).not.toContain('summed_parts');
      expect(counts.notices.map((n) => n.kind)).not.toContain('no_total');
    },
  );

  it('gives round 24 (2025-01-31) as 225,689 in the total series', async () => {
    const { observations } = await ingest(new URL('dtm-v3-displacement-admin0-admin0pcode-tcd.json', REAL).pathname, 'dtm');
    const total = observations.find((o) => o.indicator === 'idps' && referenceDate(o.period) === '2025-01-31' && Object.keys(o.disaggregation).length === 0);
    expect(total?.value).toBe(225_689);
  });
});
