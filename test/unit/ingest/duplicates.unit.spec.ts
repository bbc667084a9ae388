/**
 * A duplicate is the same observation and nothing else; every other row of a drop is accepted or
 * rejected with a reason and a kind, and the drop's summary counts each kind.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { read, removeScratch } from './support.js';

afterAll(removeScratch);

const HEADER = ['Région,Nombre de PDI,Date,Source ID', '#adm1+name,#affected+idps,#date+reported,#meta+id'];

describe('duplicates: the same observation and nothing else', () => {
  it('counts a row repeated cell for cell as a repeated row', async () => {
    const r = await read([...HEADER, 'Mopti,12,2019-07-31,a', 'Mopti,12,2019-07-31,a']);
    expect(r.counts).toMatchObject({ rows: 2, accepted: 1, duplicates: 1, rejected: 0 });
    expect(r.duplicated).toMatchObject([{ row: 4, reason: 'repeated_row', detail: 'repeats row 3' }]);
    expect(r.counts.breakdown).toEqual({ duplicates: { repeated_row: 1 }, rejected: {} });
  });

  it('counts a row that differs only in how a key cell is spelt (the same place) as a repeated row', async () => {
    const r = await read([...HEADER, 'Mopti,12,2019-07-31,a', 'MOPTI,12,31/07/2019,a']);
    expect(r.counts).toMatchObject({ accepted: 1, duplicates: 1 });
  });

  it('never takes a row that differs in an unmapped column for a duplicate: it is another report, a conflict', async () => {
    const r = await read([...HEADER, 'Mopti,12,2019-07-31,a', 'Mopti,12,2019-07-31,b']);
    // Before: the second row was counted as a duplicate of the first.
    expect(r.counts).toMatchObject({ rows: 2, accepted: 1, duplicates: 0, rejected: 1 });
    expect(r.rejected[0]).toMatchObject({ row: 4, kind: 'conflict', found: '12' });
    expect(r.rejected[0]!.reason).toContain('conflict: 12 in row 3 vs 12 in row 4');
  });

  it('rejects a second value for one observation: "conflict: 12 in row 3 vs 30 in row 4"', async () => {
    const r = await read([...HEADER, 'Mopti,12,2019-07-31,a', 'Mopti,30,2019-07-31,a']);
    expect(r.values).toEqual({ 'idps|ML05||2019-07-31': 12 });
    expect(r.rejected[0]).toMatchObject({ row: 4, kind: 'conflict', expected: 'one value for idps|ML05||2019-07-31', found: '30' });
    expect(r.rejected[0]!.reason).toBe(
      'drop.csv row 4: expected one value for idps|ML05||2019-07-31, found "30" (conflict: 12 in row 3 vs 30 in row 4; no column says the rows are summed)',
    );
  });

  it('never takes rows that differ in place, date, indicator, disaggregation or value for duplicates', async () => {
    const r = await read([
      'Région,PDI,Femmes,Date',
      '#adm1+name,#affected+idps,#affected+idps+f,#date+reported',
      'Mopti,12,5,2019-07-31',
      'Gao,12,5,2019-07-31',
      'Mopti,12,5,2019-08-31',
    ]);
    expect(r.counts).toMatchObject({ rows: 3, accepted: 3, duplicates: 0, rejected: 0 });
    expect(Object.keys(r.values)).toHaveLength(6);
  });

  it('does not count a row as a duplicate because one of its figures repeats while another conflicts', async () => {
    const r = await read(['Région,PDI,Ménages,Date', '#adm1+name,#affected+idps,#affected+idps+hh,#date', 'Mopti,12,3,2019-07-31', 'Mopti,12,4,2019-07-31']);
    expect(r.counts).toMatchObject({ accepted: 1, duplicates: 0, rejected: 1 });
    expect(r.rejected.map((e) => e.kind)).toEqual(['conflict']);
  });

  it('with a summed column, a different value for the same part is a conflict, never added in', async () => {
    const r = await read(['Région,PDI,Date,Raison', '#adm1+name,#affected+idps,#date,#cause+type', 'Mopti,12,2019-07-31,Conflict', 'Mopti,5,2019-07-31,Flood', 'Mopti,30,2019-07-31,Conflict', 'Mopti,5,2019-07-31,Flood']);
    // Before: 12 + 5 + 30 = 47, the second "Conflict" row summed in as if it were another reason.
    expect(r.values).toEqual({ 'idps|ML05||2019-07-31': 17 });
    expect(r.counts).toMatchObject({ rows: 4, accepted: 2, rejected: 1, duplicates: 1 });
    expect(r.rejected[0]!.reason).toContain('conflict: 12 in row 3 vs 30 in row 5; the rows agree on every column that is summed over');
  });
});

describe('summed columns named by a profile', () => {
  it('sums DTM API rows over every column the sum-over synonyms name: the displacement reason and the origin', async () => {
    const r = await read([
      'admin1Pcode,numPresentIdpInd,reportingDate,roundNumber,displacementReason,idpOriginAdmin1Name,idpOriginAdmin1Pcode,assessmentType',
      'ML05,100,2019-07-31,47,Conflict,Gao,ML07,BA',
      'ML05,20,2019-07-31,47,Conflict,Tombouctou,ML06,BA',
      'ML05,3,2019-07-31,47,Natural disaster,Gao,ML07,BA',
      'ML05,100,2019-07-31,47,Conflict,Gao,ML07,BA',
      'ML05,7,2019-07-31,47,Conflict,Gao,ML07,BA',
    ]);
    expect(r.values).toEqual({ 'idps|ML05||2019-07-31': 123 });
    expect(r.counts.breakdown).toEqual({ duplicates: { repeated_row: 1 }, rejected: { conflict: 1 } });
    expect(r.rejected[0]!.reason).toContain('conflict: 100 in row 2 vs 7 in row 6; the rows agree on every column that is summed over');
  });
});

describe('each kind shown', () => {
  it('gives every rejection a kind and counts the kinds in the summary', async () => {
    const r = await read([
      'Région,Nombre de PDI,Date,Round,Type',
      '#adm1+name,#affected+idps,#date+reported,#round,#assessment+type',
      'Mopti,12,2019-07-31,47,BA',
      'Mopti,12,2019-07-31,47,SA', // the same count in the SA copy: a duplicate
      'Gao,20,2019-07-31,47,BA',
      'Gao,21,2019-07-31,47,SA', // another count in the SA copy
      'Gao,19,2019-07-31,46,BA', // an older round for the same date
      'Kayes,12.5,2019-07-31,47,BA',
      'Atlantis,3,2019-07-31,47,BA',
      'Ségou,4,1965-12-31,47,BA',
      'Kidal,,2019-07-31,47,BA',
      'Sikasso,4,2019-07-31,47,BA',
      'Sikasso,5,2019-07-31,47,BA',
    ]);
    const kinds = Object.fromEntries(r.rejected.map((e) => [e.row, e.kind]));
    expect(kinds).toEqual({ 6: 'copy_mismatch', 7: 'older_round', 8: 'invalid_value', 9: 'unknown_place', 10: 'invalid_date', 11: 'no_value', 13: 'conflict' });
    expect(r.counts.breakdown).toEqual({
      duplicates: { assessment_copy: 1 },
      rejected: { copy_mismatch: 1, older_round: 1, invalid_value: 1, unknown_place: 1, invalid_date: 1, no_value: 1, conflict: 1 },
    });
    const { rows, accepted, rejected, duplicates } = r.counts;
    expect(accepted + rejected + duplicates).toBe(rows);
    expect(r.rejected.find((e) => e.row === 8)!.reason).toBe(
      'drop.csv row 8, column "Nombre de PDI": expected a whole number of people, found "12.5" (a count of people has no fraction)',
    );
    expect(r.rejected.find((e) => e.row === 10)!.reason).toBe(
      'drop.csv row 10, column "Date": expected a date from 1970-01-01 to 2027-12-01, found "1965-12-31" (before 1970-01-01, the first day the store holds)',
    );
  });
});

describe('values the store cannot hold are rejections', () => {
  it.each([
    ['99999999999999999999', /more than 9,007,199,254,740,991/],
    ['9007199254740993', /more than 9,007,199,254,740,991/],
    ['9'.repeat(400), /\(400 characters\).*more than 9,007,199,254,740,991/],
  ])('rejects the count %s, never rounded or Infinity', async (cell, reason) => {
    const r = await read([...HEADER, `Mopti,${cell},2019-07-31,a`]);
    expect(r.observations).toEqual([]);
    expect(r.rejected[0]).toMatchObject({ kind: 'invalid_value', column: 'Nombre de PDI' });
    expect(r.rejected[0]!.reason).toMatch(reason);
    expect(r.rejected[0]!.reason.length).toBeLessThan(300);
  });

  it('rejects a sum of rows past 2^53 - 1 rather than store it rounded', async () => {
    const r = await read(['Région,PDI,Date,Raison', '#adm1+name,#affected+idps,#date,#cause+type', 'Mopti,9007199254740000,2019-07-31,Conflict', 'Mopti,5000,2019-07-31,Flood']);
    expect(r.values).toEqual({ 'idps|ML05||2019-07-31': 9007199254740000 });
    expect(r.rejected[0]).toMatchObject({ row: 4, kind: 'invalid_value', found: '5000' });
  });

  it.each([
    ['1965-12-31', 'before 1970-01-01, the first day the store holds'],
    ['2200-01-01', 'more than 365 days after the drop was received (2026-12-01)'],
    ['2028-01-01', 'more than 365 days after the drop was received (2026-12-01)'],
  ])('rejects the reference date %s', async (date, hint) => {
    const r = await read([...HEADER, `Mopti,12,${date},a`]);
    expect(r.rejected[0]).toMatchObject({ kind: 'invalid_date', column: 'Date', found: date });
    expect(r.rejected[0]!.reason).toContain(hint);
  });

  it('holds a date past the horizon only up to the store, when no horizon is given', async () => {
    const r = await read([...HEADER, 'Mopti,12,2105-12-31,a', 'Gao,12,2106-01-01,a'], { today: undefined, horizonDays: undefined });
    expect(r.values).toEqual({ 'idps|ML05||2105-12-31': 12 });
    expect(r.rejected[0]!.reason).toContain('after 2105-12-31, the last day the store holds');
  });

  it('rejects a year column before 1970', async () => {
    const r = await read(['ISO3,Year,Stock', '#country+code,#date+year,#affected+idps', 'MLI,1965,10', 'MLI,1970,11']);
    expect(r.values).toEqual({ 'idps|MLI||1970-12-31': 11 });
    expect(r.rejected[0]).toMatchObject({ row: 3, kind: 'invalid_date', column: 'Year', found: '1965-12-31' });
  });
});
