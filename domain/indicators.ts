/**
 * The indicators the pipeline tallies. Codes are stable identifiers shared by configuration,
 * events, tables and the command line; the kind says whether a figure is a stock (a date) or a
 * flow (a period), and the unit whether it counts people or households.
 */
import { z } from 'zod';
import type { Period, Unit } from './events.js';

export const INDICATOR_CODES = [
  'idps', 'idp_households', 'idp_returnees', 'returned_migrants', 'migrants_present', 'nationals_abroad',
  'foreign_residents', 'avr_assisted', 'refugees', 'asylum_seekers', 'returned_refugees', 'fmp_movements',
] as const;

export const IndicatorCode = z.enum(INDICATOR_CODES);
export type IndicatorCode = z.infer<typeof IndicatorCode>;

export type IndicatorKind = Period['kind'];
export type Indicator = { code: IndicatorCode; label: string; kind: IndicatorKind; unit: Unit };

export const INDICATORS = {
  idps: { code: 'idps', label: 'internally displaced persons present', kind: 'stock', unit: 'individuals' },
  idp_households: { code: 'idp_households', label: 'IDP households present', kind: 'stock', unit: 'households' },
  idp_returnees: { code: 'idp_returnees', label: 'former IDPs returned to their place of origin', kind: 'stock', unit: 'individuals' },
  returned_migrants: { code: 'returned_migrants', label: 'nationals returned from abroad', kind: 'flow', unit: 'individuals' },
  migrants_present: { code: 'migrants_present', label: 'international migrants observed in the country', kind: 'stock', unit: 'individuals' },
  nationals_abroad: { code: 'nationals_abroad', label: 'nationals living abroad (diaspora)', kind: 'stock', unit: 'individuals' },
  foreign_residents: { code: 'foreign_residents', label: 'foreigners residing in the country', kind: 'stock', unit: 'individuals' },
  avr_assisted: { code: 'avr_assisted', label: 'migrants assisted to return voluntarily', kind: 'flow', unit: 'individuals' },
  refugees: { code: 'refugees', label: 'refugees hosted in the country', kind: 'stock', unit: 'individuals' },
  asylum_seekers: { code: 'asylum_seekers', label: 'asylum seekers in the country', kind: 'stock', unit: 'individuals' },
  returned_refugees: { code: 'returned_refugees', label: 'refugees returned to the country', kind: 'flow', unit: 'individuals' },
  fmp_movements: { code: 'fmp_movements', label: 'movements counted at flow monitoring points', kind: 'flow', unit: 'individuals' },
} as const satisfies { [C in IndicatorCode]: Indicator & { code: C } };

/** Thrown for a code that is not in the registry; a configuration or caller error, not retryable. */
export class UnknownIndicatorError extends Error {
  override readonly name = 'UnknownIndicatorError';

  constructor(readonly indicator: string) {
    super(`unknown indicator: expected one of ${INDICATOR_CODES.join(', ')}, found ${JSON.stringify(indicator)}`);
  }
}

export function isIndicatorCode(s: unknown): s is IndicatorCode {
  return IndicatorCode.safeParse(s).success;
}

/** The indicator with this code. @throws UnknownIndicatorError for any other string. */
export function getIndicator(code: string): Indicator {
  if (!isIndicatorCode(code)) throw new UnknownIndicatorError(code);
  return INDICATORS[code];
}
