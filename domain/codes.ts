/** The shapes of the identifiers the pipeline passes around, each defined once. */

/**
 * A P-code as OCHA's lists write them: upper-case letters and digits. A country's is its ISO 3166
 * alpha-3 code (MLI, TCD); an area's usually starts with the country's alpha-2 or alpha-3 code and
 * goes on with digits (ML05, ML0501, TD01, NE001, BDI001), though a few lists differ (Tajikistan's
 * are digits only). Whether a code is known is for the P-code list to say, not for this shape.
 */
export const PCODE_PATTERN = /^[A-Z0-9]{2,20}$/;
export const PCODE_RULE = 'expected a P-code (upper-case letters and digits, such as MLI, ML05, ML0501 or TD01)';
/** A country: ISO 3166 alpha-3. */
export const COUNTRY_PATTERN = /^[A-Z]{3}$/;

/** A drop id: the sha256 of the drop's bytes, in hex. */
export const DROP_ID_PATTERN = /^[0-9a-f]{64}$/;
export const DROP_ID_RULE = 'expected a drop id (64 hex digits)';

/**
 * Whether a cell reads as a code rather than a name: three letters (a country), letters then a
 * digit (ML05, BDI001, IQG01Q01), or five or more digits. Names have no digits.
 */
export function looksLikePcode(text: string): boolean {
  return /^(?:[A-Z]{3}|[A-Z]{2,4}\d[A-Z0-9]*|\d{5,})$/.test(text.trim().toUpperCase());
}
