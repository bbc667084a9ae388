import { describe, expect, it } from 'vitest';
import {
  AlertRefusedError,
  ApiFetchError,
  describeWhere,
  DropNotLandedError,
  DropUnusableError,
  NoApiUrlError,
  NotProjectedYetError,
  ProjectionsBehindError,
  TallyError,
  UnknownSourceError,
  type TallyErrorParts,
} from '../../../domain/errors.js';
import { SqlValueError, quoteNumber } from '../../../adapters/sql.js';
import { FigureQuery, parseInput, QueryInputError } from '../../../projections/queries.js';
import { getProfile } from '../../../connectors/profiles.js';

/** A subclass of the base alone, to see what the base itself does. */
class CountRefused extends TallyError {
  override readonly name = 'CountRefused';
  readonly type = 'CountRefused';
  readonly nonRetryable = true;
  constructor(parts: TallyErrorParts) {
    super(parts);
  }
}

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('TallyError', () => {
  it('writes the house template from where, expected and found', () => {
    const err = new CountRefused({ where: { file: 'dtm-r47.csv', row: 12, column: 'Nombre de PDI' }, expected: 'a count', found: '"140 8001" (a footnote marker?)' });
    expect(err.message).toBe('dtm-r47.csv row 12, column "Nombre de PDI": expected a count, found "140 8001" (a footnote marker?)');
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(TallyError);
    expect(err).toMatchObject({ name: 'CountRefused', type: 'CountRefused', nonRetryable: true, expected: 'a count' });
    expect(err.where).toEqual({ file: 'dtm-r47.csv', row: 12, column: 'Nombre de PDI' });
  });

  it('keeps a message given as it is, and drops the parts of where that are not known', () => {
    const err = new CountRefused({ message: 'no rows', where: { file: 'a.csv', row: undefined }, expected: 'rows', found: 0 });
    expect(err.message).toBe('no rows');
    expect(Object.keys(err.where)).toEqual(['file']);
  });

  it('shows a found value that is not a string as JSON, and a long one cut at 80 characters', () => {
    expect(new CountRefused({ where: { at: 'query.limit' }, expected: 'a positive integer', found: [1, 2] }).message).toBe('query.limit: expected a positive integer, found [1,2]');
    expect(new CountRefused({ expected: 'x', found: 'y'.repeat(100) }).message).toBe(`expected x, found ${'y'.repeat(77)}...`);
  });

  it('gives a JSON-safe detail, even of a value JSON cannot write', () => {
    const err = new CountRefused({ where: { at: 'value' }, expected: 'a number', found: 10n });
    expect(err.detail()).toEqual({ expected: 'a number', found: '10', where: { at: 'value' } });
    expect(JSON.parse(JSON.stringify(err.detail()))).toEqual(err.detail());
    expect(new CountRefused({ message: 'm' }).detail()).toEqual({ where: {} });
  });

  it('keeps the cause', () => {
    const cause = new Error('EACCES');
    expect(new CountRefused({ message: 'm', cause }).cause).toBe(cause);
  });

  it('names the place as file, locus, row and column', () => {
    expect(describeWhere({})).toBe('');
    expect(describeWhere({ at: 'GET https://x/' })).toBe('GET https://x/');
    expect(describeWhere({ file: 'r.xlsx', column: 'Date' })).toBe('r.xlsx, column "Date"');
  });
});

describe('the errors activities throw', () => {
  it('say whether to retry and carry their type', () => {
    const cases: Array<[TallyError, string, boolean]> = [
      [new DropUnusableError('empty.csv is empty', 'empty.csv'), 'DropUnusable', true],
      [new DropNotLandedError('ab12', '/land'), 'DropNotLanded', true],
      [new UnknownSourceError('nosuch', ['dtm', 'cmp']), 'UnknownSource', true],
      [new NoApiUrlError('cmp'), 'NoApiUrl', true],
      [new AlertRefusedError('alert webhook http://h (delivery e1): HTTP 400', 400, 'e1'), 'AlertRefused', true],
      [new ProjectionsBehindError('g', 12), 'ProjectionsBehind', false],
      [new NotProjectedYetError('e1'), 'NotProjectedYet', false],
      [new SqlValueError('expected a finite number, found NaN', 'a finite number', NaN), 'SqlValueError', true],
      [new QueryInputError('query.area: bad, found 1', 'query.area', 1), 'QueryInputError', true],
    ];
    for (const [err, type, nonRetryable] of cases) {
      expect(err, err.name).toBeInstanceOf(TallyError);
      expect({ name: err.name, type: err.type, nonRetryable: err.nonRetryable }).toEqual({ name: err.constructor.name, type, nonRetryable });
    }
  });

  it('write their messages on the template', () => {
    expect(new DropNotLandedError('ab12', '/land').message).toBe('drop ab12: expected its bytes in the landing store /land, found none');
    expect(new NoApiUrlError('cmp').message).toBe('source cmp: expected an API url in its profile or in the request, found neither');
    expect(new ProjectionsBehindError('g', 12).message).toBe('consumer group g: expected committed offsets at the end offsets given, found 12 events behind');
    expect(new NotProjectedYetError('e1').message).toBe('discrepancy e1: expected its row in ClickHouse, found none yet');
  });

  it('DropUnusableError keeps one line and names the file', () => {
    const err = new DropUnusableError('r.csv has no header row\n  in its first 20 rows', 'r.csv', { expected: 'a header row', row: 20 });
    expect(err.message).toBe('r.csv has no header row in its first 20 rows');
    expect(err.detail()).toEqual({ expected: 'a header row', where: { file: 'r.csv', row: 20 } });
  });

  it('ApiFetchError is retryable or not as the failure says', () => {
    const notFound = new ApiFetchError('GET http://x/: HTTP 404 Not Found, expected 200 (not retried)', { url: 'http://x/', retryable: false, status: 404, expected: 'HTTP 200', found: 'HTTP 404 Not Found' });
    expect(notFound).toMatchObject({ type: 'ApiFetchFailed', nonRetryable: true, retryable: false, status: 404, url: 'http://x/' });
    expect(notFound.detail()).toEqual({ expected: 'HTTP 200', found: 'HTTP 404 Not Found', where: { at: 'GET http://x/' } });
    const down = new ApiFetchError('GET http://x/: HTTP 503', { url: 'http://x/', retryable: true, status: 503, retryAfterMs: 1000 });
    expect(down).toMatchObject({ nonRetryable: false, retryable: true, retryAfterMs: 1000 });
  });

  it('UnknownSourceError keeps the message the command line prints', () => {
    const err = caught(() => getProfile('nosuchsource'));
    expect(err).toBeInstanceOf(UnknownSourceError);
    expect((err as Error).message).toMatch(/^unknown source "nosuchsource": expected one of .*\bunhcr\b.* \(or add a profile to TALLY_PROFILES_DIR\)$/);
    expect((err as UnknownSourceError).detail()).toMatchObject({ found: 'nosuchsource', where: { at: 'source' } });
  });

  it('QueryInputError names the field and the rule', () => {
    const err = caught(() => parseInput(FigureQuery, { indicator: 'idps', area: 'Mopti' }, 'query'));
    expect(err).toBeInstanceOf(QueryInputError);
    expect((err as QueryInputError).message).toBe('query.area: expected a P-code (upper-case letters and digits, such as MLI, ML05, ML0501 or TD01), found "Mopti"');
    expect((err as QueryInputError).field).toBe('query.area');
    expect((err as QueryInputError).detail()).toEqual({ expected: 'a P-code (upper-case letters and digits, such as MLI, ML05, ML0501 or TD01)', found: 'Mopti', where: { at: 'query.area' } });
  });

  it('QueryInputError refuses an indicator the registry does not have, naming those it has', () => {
    const err = caught(() => parseInput(FigureQuery, { indicator: 'nosuch' }, 'query'));
    expect(err).toBeInstanceOf(QueryInputError);
    expect((err as QueryInputError).message).toMatch(/^query\.indicator: expected an indicator, one of idps, idp_households, .*fmp_movements, found "nosuch"$/);
    expect(parseInput(FigureQuery, { indicator: 'refugees' }, 'query').indicator).toBe('refugees');
  });

  it('SqlValueError keeps expected and the value found', () => {
    const err = caught(() => quoteNumber(Infinity));
    expect(err).toBeInstanceOf(SqlValueError);
    expect(err).toMatchObject({ message: 'expected a finite number, found Infinity', expected: 'a finite number', found: Infinity, nonRetryable: true });
  });
});
