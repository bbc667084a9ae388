import { describe, expect, it } from 'vitest';
import {
  INDICATOR_CODES,
  INDICATORS,
  IndicatorCode,
  UnknownIndicatorError,
  getIndicator,
  isIndicatorCode,
} from '../../../domain/indicators.js';

describe('the indicator registry', () => {
  it.each([
    ['idps', 'stock', 'individuals'],
    ['idp_households', 'stock', 'households'],
    ['idp_returnees', 'stock', 'individuals'],
    ['returned_migrants', 'flow', 'individuals'],
    ['migrants_present', 'stock', 'individuals'],
    ['nationals_abroad', 'stock', 'individuals'],
    ['foreign_residents', 'stock', 'individuals'],
    ['avr_assisted', 'flow', 'individuals'],
    ['refugees', 'stock', 'individuals'],
    ['asylum_seekers', 'stock', 'individuals'],
    ['returned_refugees', 'flow', 'individuals'],
    ['fmp_movements', 'flow', 'individuals'],
  ])('has %s, a %s in %s', (code, kind, unit) => {
    expect(getIndicator(code)).toMatchObject({ code, kind, unit });
    expect(getIndicator(code).label.length).toBeGreaterThan(0);
  });

  it('holds exactly the 12 codes, each under its own code', () => {
    expect(INDICATOR_CODES).toHaveLength(12);
    expect(Object.keys(INDICATORS)).toEqual([...INDICATOR_CODES]);
    expect(Object.entries(INDICATORS).every(([key, indicator]) => key === indicator.code)).toBe(true);
  });

  it('validates codes with the zod enum', () => {
    expect(IndicatorCode.parse('idps')).toBe('idps');
    expect(IndicatorCode.safeParse('IDPS').success).toBe(false);
  });

  it.each(['idps', 'fmp_movements'])('recognises %j', (code) => {
    expect(isIndicatorCode(code)).toBe(true);
  });

  it.each(['IDPs', 'pdi', '', 'idps ', 42, undefined])('does not recognise %j', (code) => {
    expect(isIndicatorCode(code)).toBe(false);
  });

  it('throws on an unknown code, naming it and the valid ones', () => {
    expect(() => getIndicator('pdi')).toThrow(UnknownIndicatorError);
    expect(() => getIndicator('pdi')).toThrow(
      'unknown indicator: expected one of idps, idp_households, idp_returnees, returned_migrants, migrants_present, ' +
        'nationals_abroad, foreign_residents, avr_assisted, refugees, asylum_seekers, returned_refugees, fmp_movements, found "pdi"',
    );
  });

  it('carries the unknown code on the error', () => {
    const error = (() => {
      try {
        getIndicator('refugee');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownIndicatorError);
    expect(error).toMatchObject({ name: 'UnknownIndicatorError', indicator: 'refugee' });
  });
});
