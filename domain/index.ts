/**
 * The domain primitives: reading raw cells into counts, dates, periods and places, and the
 * indicator registry. Each reader returns a Parsed<T> that either holds the value or says what
 * was expected and what was found, so a connector can turn it into a rejection unchanged.
 *
 * ```ts
 * const count = parseCount('137 096');            // { ok: true, value: 137096 }
 * const place = matchPlace('Région de Ségou', 1); // { ok: true, value: { pcode: 'ML04', … } }
 * const when = parsePeriod('T3 2019', 'stock');   // { ok: true, value: { kind: 'stock', date: '2019-09-30' } }
 * ```
 *
 * The event contract lives in `events.ts` and the series keys in `series.ts`. The rules for a
 * figure reported twice in one drop are in `copies.ts` (BA/SA copies and rounds of a series) and
 * `duplicates.ts` (repeated and conflicting rows of an observation). Temporal workflow
 * code should import `periods.js` or `indicators.js` directly: `places.js` reads the P-code list
 * from disk when it loads.
 */
export { ok, fail, describeFailure } from './result.js';
export type { Ok, Failure, Parsed } from './result.js';
export { parseCount, isNotAvailable } from './numbers.js';
export {
  parseDate,
  parsePeriodText,
  parsePeriod,
  toStock,
  toFlow,
  flowBetween,
  unhcrYearPeriod,
  referenceDate,
  overlaps,
  daysBetween,
} from './periods.js';
export type { Precision, PeriodRange } from './periods.js';
export { matchPlace, placeByPcode, regions, cerclesOf, parentOf, normalisePlaceName } from './places.js';
export type { Place, PlaceLevel, MatchPlaceOptions } from './places.js';
export { repairMojibake } from './mojibake.js';
export { INDICATORS, INDICATOR_CODES, IndicatorCode, UnknownIndicatorError, getIndicator, isIndicatorCode } from './indicators.js';
export type { Indicator, IndicatorKind } from './indicators.js';
export { settleCopies, copyOutcome, compareCopies, roundNumber } from './copies.js';
export type { SeriesCopy, CopyOutcome, SettledCopies } from './copies.js';
export { joinObservation, repeatedRowDetail, conflictRejection } from './duplicates.js';
export type { ObservationParts, RowJoin } from './duplicates.js';
