/**
 * Countries by ISO 3166-1: alpha-3 (the P-code of admin level 0), alpha-2 (the prefix of the
 * country's P-codes), UN M49 numeric code, and English and French names, with accents, case and
 * punctuation ignored.
 */
import { createRequire } from 'node:module';
import countries from 'i18n-iso-countries';
import { fail, ok, type Parsed } from './result.js';

const require = createRequire(import.meta.url);
countries.registerLocale(require('i18n-iso-countries/langs/en.json') as countries.LocaleData);
countries.registerLocale(require('i18n-iso-countries/langs/fr.json') as countries.LocaleData);

export interface Country {
  iso3: string;
  iso2: string;
  name: string;
}

export const DEFAULT_COUNTRY = 'MLI';

const EXPECTED = 'a country (ISO 3166 alpha-3 or alpha-2 code, UN M49 number, or name)';

function nameKey(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '');
}

let byName: Map<string, string> | undefined;

/** Every English and French name and alias, normalised, to its alpha-3 code. */
function names(): Map<string, string> {
  if (byName) return byName;
  byName = new Map();
  for (const lang of ['en', 'fr']) {
    for (const [iso2, list] of Object.entries(countries.getNames(lang, { select: 'all' }))) {
      const iso3 = countries.alpha2ToAlpha3(iso2);
      if (!iso3) continue;
      for (const name of list) if (!byName.has(nameKey(name))) byName.set(nameKey(name), iso3);
    }
  }
  byName.set(nameKey('Republique du Mali'), 'MLI');
  byName.set(nameKey('Republic of Mali'), 'MLI');
  return byName;
}

/** The country with this alpha-3 code, or undefined. */
export function countryByIso3(iso3: string): Country | undefined {
  const code = iso3.trim().toUpperCase();
  const iso2 = countries.alpha3ToAlpha2(code);
  if (!iso2) return undefined;
  return { iso3: code, iso2, name: countries.getName(code, 'en') ?? code };
}

/** The country whose P-codes start with this alpha-2 prefix. */
export function countryByPrefix(prefix: string): Country | undefined {
  const iso3 = countries.alpha2ToAlpha3(prefix.toUpperCase());
  return iso3 ? countryByIso3(iso3) : undefined;
}

/** A country from a code (MLI, ML, 466) or a name in English or French (Mali, Tchad, Haïti). */
export function parseCountry(raw: string): Parsed<Country> {
  const text = raw.trim();
  if (text === '') return fail(EXPECTED, raw, 'the country cell is empty');
  const upper = text.toUpperCase();
  let iso3: string | undefined;
  if (/^[A-Z]{3}$/.test(upper)) iso3 = countryByIso3(upper)?.iso3;
  else if (/^[A-Z]{2}$/.test(upper)) iso3 = countries.alpha2ToAlpha3(upper);
  else if (/^\d{1,3}$/.test(text)) iso3 = countries.numericToAlpha3(text.padStart(3, '0'));
  iso3 ??= names().get(nameKey(text.replace(/^total\s+/i, '')));
  const country = iso3 ? countryByIso3(iso3) : undefined;
  return country ? ok(country) : fail(EXPECTED, raw, `"${text}" is not an ISO 3166 country code or a country name`);
}
