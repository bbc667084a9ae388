/**
 * HXL 1.1 as libhxl reads it: a hashtag and its attributes, in any order, say what a column is,
 * and a column about somewhere else (+origin, +dest) is never where the people are.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { listColumns, PART_KEY } from '../../../ingest/mapping.js';
import { planOf, read, removeScratch } from './support.js';

afterAll(removeScratch);

// The shape of HDX's "Data for QuickCharts" export of the DTM API (pandas: nan, 6563.0), for Mali.
const QUICKCHARTS = [
  'operation,admin0Name,admin0Pcode,numPresentIdpInd,reportingDate,yearReportingDate,roundNumber,displacementReason,numberMales,idpOriginAdmin1Name,idpOriginAdmin1Pcode,assessmentType,id',
  '#operation+name,#country+name,#country+code,#affected+idps,#date+reported,#date+year+reported,#round+code,#cause+type,#affected+idps+m,#adm1+name+origin,#adm1+code+origin,#assessment+type,#id+code',
];

describe('HXL: +origin and +dest are never the place', () => {
  it('files national IDPs under the country, not under the region they fled', async () => {
    const r = await read([
      ...QUICKCHARTS,
      'Mali Conflict,Mali,MLI,61200.0,2019-07-31T00:00:00,2019,47,Conflict,nan,Mopti,ML05,BA,nan',
      'Mali Conflict,Mali,MLI,9312.0,2019-07-31T00:00:00,2019,47,Conflict,nan,Gao,ML07,BA,nan',
    ]);
    // Before: the origin column was read as the region, giving ML05 61,200 and ML07 9,312.
    expect(r.values).toEqual({ 'idps|MLI||2019-07-31': 70512 });
    expect(r.observations[0]!.rows).toEqual([3, 4]);
    expect(r.counts).toMatchObject({ rows: 2, accepted: 2, rejected: 0, duplicates: 0 });
  });

  it('lists the origin columns in the summary, and the tags that map to nothing', async () => {
    const plan = await planOf([...QUICKCHARTS, 'Mali Conflict,Mali,MLI,1,2019-07-31,2019,47,Conflict,nan,Mopti,ML05,BA,nan']);
    expect(plan.roles.region).toBeUndefined();
    expect(plan.roles.regionCode).toBeUndefined();
    expect(plan.sumOver).toEqual([7, 9, 10]);
    const details = plan.notices!.map((n) => `${n.kind}: ${n.detail}`);
    expect(details[0]).toBe(
      'ignored_column: +origin and +dest columns are never the place; rows that differ only there are summed: "idpOriginAdmin1Name" (#adm1+name+origin), "idpOriginAdmin1Pcode" (#adm1+code+origin)',
    );
    expect(details[1]).toBe('ignored_column: read as nothing: "operation" (#operation+name), "admin0Name" (#country+name), "yearReportingDate" (#date+year+reported), "id" (#id+code)');
  });

  it('treats +dest like +origin', async () => {
    const plan = await planOf(['Région,Destination,Mouvements,Date', '#adm1+name,#adm1+name+dest,#affected+fmp,#date', 'Mopti,Gao,10,2019-07-31']);
    expect(plan.roles.region).toBe(0);
    expect(plan.sumOver).toEqual([1]);
  });
});

describe('HXL: attributes in any order', () => {
  it('reads the same plan whatever the order of the attributes and the spaces around them', async () => {
    const a = await planOf(['a,b,c,d,e', '#adm1+code,#affected+idps+ind,#affected+idps+f,#date+reported,#round+code', 'ML05,10,4,2019-07-31,47']);
    const b = await planOf(['a,b,c,d,e', '#ADM1 +pcode,#affected +ind +idps,#affected+f+idps,#date +reported,#round+code', 'ML05,10,4,2019-07-31,47']);
    for (const plan of [a, b]) {
      expect(plan.roles).toMatchObject({ regionCode: 0, date: 3, round: 4 });
      expect(plan.values.map((v) => [v.index, v.indicator, v.disaggregation])).toEqual([
        [1, 'idps', {}],
        [2, 'idps', { sex: 'f' }],
      ]);
    }
  });

  it('takes the whole date, not its year, whichever column comes first', async () => {
    const plan = await planOf(['y,m,d,n', '#date+year+reported,#date+month+reported,#date+reported,#affected+idps', '2019,7,2019-07-31,10']);
    expect(plan.roles.date).toBe(2);
    expect(plan.roles.year).toBeUndefined();
  });

  it('reads a year column as the reference when it is the only date (IDMC)', async () => {
    const plan = await planOf(['ISO3,Year,Stock', '#country+code,#date+year,#affected+idps+ind+stock+conflict', 'MLI,2019,208000']);
    expect(plan.roles).toMatchObject({ country: 0, year: 1 });
  });

  it('prefers a P-code column to a name column for the country', async () => {
    const plan = await planOf(['n,c,v,d', '#country+name,#country+code,#affected+idps,#date', 'Mali,MLI,1,2019-07-31']);
    expect(plan.roles.country).toBe(1);
  });

  it('reads +m and +f and HXL age attributes as disaggregations of one indicator', async () => {
    const r = await read(['c,t,m,f,k,d', '#country+code,#affected+idps,#affected+m+idps,#affected+idps+f,#affected+idps+children,#date', 'MLI,100,40,60,30,2019-07-31']);
    expect(r.values).toEqual({
      'idps|MLI||2019-07-31': 100,
      'idps|MLI|sex=m|2019-07-31': 40,
      'idps|MLI|sex=f|2019-07-31': 60,
      'idps|MLI|age_group=children|2019-07-31': 30,
    });
  });
});

describe('HXL: #assessment+type, #round and #cause+type', () => {
  const TAGS = ['region,pcode,idps,date,round,reason,type', '#adm1+name,#adm1+code,#affected+idps+ind,#date+reported,#round+code,#cause+type,#assessment+type'];

  it('settles BA and SA copies of a round named by #assessment+type: the SA copy is a duplicate', async () => {
    const r = await read([...TAGS, 'Gao,ML07,24770,2019-07-31,47,Conflict,BA', 'Gao,ML07,24770,2019-07-31,47,Conflict,SA']);
    // Before: #assessment+type was not read, so the SA row was taken for a second report.
    expect(r.values).toEqual({ 'idps|ML07||2019-07-31': 24770 });
    expect(r.duplicated.map((d) => [d.row, d.reason])).toEqual([[4, 'assessment_copy']]);
  });

  it('also reads #meta+assessment and a round tag with any attribute', async () => {
    const plan = await planOf(['a,b,c,d', '#adm1+code,#affected+idps,#round+num,#meta+assessment', 'ML07,1,47,BA']);
    expect(plan.roles).toMatchObject({ round: 2, assessment: 3 });
  });

  it('sums the rows of one place and round over #cause+type, and rejects a second value for the same cause', async () => {
    const r = await read([...TAGS, 'Mopti,ML05,61200,2019-07-31,47,Conflict,BA', 'Mopti,ML05,9312,2019-07-31,47,Natural disaster,BA', 'Mopti,ML05,100,2019-07-31,47,Conflict,BA']);
    expect(r.values).toEqual({ 'idps|ML05||2019-07-31': 70512 });
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]).toMatchObject({ row: 5, kind: 'conflict' });
    expect(r.rejected[0]!.reason).toContain('conflict: 61200 in row 3 vs 100 in row 5');
  });
});

describe('HXL: mixed admin levels and #adm+level (HDX global export)', () => {
  const TAGS = [
    'admin0Pcode,admin1Pcode,admin2Pcode,adminLevel,numPresentIdpInd,reportingDate,roundNumber',
    '#country+code,#adm1+code,#adm2+code,#adm+level,#affected+idps,#date+reported,#round+code',
  ];

  it('places each row at its most specific filled code column, as its level says', async () => {
    const r = await read([...TAGS, 'MLI,,,0,300,2019-07-31,47', 'MLI,ML05,,1,200,2019-07-31,47', 'MLI,ML05,ML0501,2,100,2019-07-31,47']);
    expect(r.values).toEqual({ 'idps|MLI||2019-07-31': 300, 'idps|ML05||2019-07-31': 200, 'idps|ML0501||2019-07-31': 100 });
  });

  it('rejects a row whose place is not at the level it says', async () => {
    const r = await read([...TAGS, 'MLI,ML05,ML0501,1,100,2019-07-31,47']);
    expect(r.rejected[0]).toMatchObject({ kind: 'unknown_place', column: 'adminLevel', expected: 'a place at admin level 1', found: '1' });
  });

  it('sums admin-3 rows into their admin-2 area when the country has no admin-3 list (the bundled lists stop at 2)', async () => {
    const r = await read([
      'a2,a3,idps,date',
      '#adm2+code,#adm3+code,#affected+idps+ind,#date+occurred',
      'ML0901,ML090101,283,2021-09-30',
      'ML0901,ML090102,75,2021-09-30',
    ]);
    expect(r.values).toEqual({ 'idps|ML0901||2021-09-30': 358 });
  });
});

describe('HXL: value columns that are not the people present', () => {
  // IDMC's IDP table: stocks and new displacements (flows), by cause, rounded and raw.
  const IDMC = [
    'ISO3,Year,CS,CSraw,CI,CIraw,DI,DIraw,DS,DSraw',
    '#country+code,#date+year,#affected+idps+ind+stock+conflict,#affected+idps+ind+stock+conflict_raw,#affected+idps+ind+internaldisp+conflict,#affected+idps+ind+internaldisp+conflict_raw,#affected+idps+ind+internaldisp+disaster,#affected+idps+ind+internaldisp+disaster_raw,#affected+idps+ind+stock+disaster,#affected+idps+ind+stock+disaster_raw',
  ];

  it('sums the conflict and disaster stocks into one figure, and reads neither new displacements nor the raw copies', async () => {
    const r = await read([...IDMC, 'MLI,2021,326000,326135,249000,249174,6000,5994,24000,23975', 'MLI,2008,,,,,2500,2500,,']);
    expect(r.values).toEqual({ 'idps|MLI||2021-12-31': 350000 });
    expect(r.observations[0]!.rows).toEqual([3]);
    expect(r.observations[0]!.disaggregation).toEqual({});
    // A row with new displacements only has no figure the project reads.
    expect(r.rejected).toMatchObject([{ row: 4, kind: 'no_value' }]);
    // Read: the two rounded stocks; the six others are listed (as many as fit, then how many more).
    const plan = await planOf([...IDMC, 'MLI,2021,1,1,1,1,1,1,1,1']);
    expect(plan.values.map((v) => v.header)).toEqual(['CS', 'DS']);
    const ignored = r.counts.notices.find((n) => n.detail.startsWith('read as nothing'))!.detail;
    expect(ignored).toBe(
      'read as nothing: "CSraw" (#affected+idps+ind+stock+conflict_raw), "CI" (#affected+idps+ind+internaldisp+conflict), "CIraw" (#affected+idps+ind+internaldisp+conflict_raw) and 3 more',
    );
  });

  it('keeps the part out of the events', async () => {
    const r = await read([...IDMC, 'MLI,2019,208000,207751,,,,,6300,6298']);
    expect(JSON.stringify(r.observations)).not.toContain(PART_KEY);
  });

  it('reads households as an indicator for IDPs only', async () => {
    const plan = await planOf(['a,IDP households,c,Returnees,e', '#adm1+code,#affected+idps+hh,#affected+returnees+hh,#affected+returnees+ind,#date', 'ML05,1,2,3,2019-07-31']);
    expect(plan.values.map((v) => [v.header, v.indicator, v.unit])).toEqual([
      ['IDP households', 'idp_households', 'households'],
      ['Returnees', 'idp_returnees', 'individuals'],
    ]);
  });
});

describe('HXL: what maps to nothing is listed, briefly', () => {
  it('names the first 20 columns at most, as many as fit in 200 characters, and says how many more', () => {
    const names = Array.from({ length: 23 }, (_, i) => `"c${i}" (#x${i})`);
    expect(listColumns(names, 20, 1000)).toBe(`${names.slice(0, 20).join(', ')} and 3 more`);
    expect(listColumns(names)).toBe(`${names.slice(0, 15).join(', ')} and 8 more`);
    expect(listColumns(names.slice(0, 2))).toBe('"c0" (#x0), "c1" (#x1)');
    const long = Array.from({ length: 23 }, (_, i) => `"a column with a long header ${i}" (#meta+x${i})`);
    expect(listColumns(long)).toBe(`${long.slice(0, 4).join(', ')} and 19 more`);
    expect(listColumns(['x'.repeat(1000)])).toBe(`${'x'.repeat(59)}…`);
  });

  it('lists 25 unknown tags in one notice of one line, short enough for the CLI', async () => {
    const tags = Array.from({ length: 25 }, (_, i) => `#meta+x${i}`);
    const r = await read([['pcode', 'idps', 'date', ...tags.map((_, i) => `h${i}`)].join(','), ['#adm1+code', '#affected+idps', '#date', ...tags].join(','), ['ML05', '10', '2019-07-31', ...tags.map(() => 'x')].join(',')]);
    const notice = r.counts.notices.find((n) => n.kind === 'ignored_column')!;
    expect(notice.detail).toMatch(/^read as nothing: "h0" \(#meta\+x0\), "h1" \(#meta\+x1\), .* and \d+ more$/);
    expect(notice.detail).not.toContain('\n');
    expect(notice.detail.length).toBeLessThan(250);
  });
});
