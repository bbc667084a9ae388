/** The shapes of the identifiers the pipeline passes around, each defined once. */

/** A P-code: the country (MLI), a region (MLnn) or a cercle (MLnnnn). */
export const PCODE_PATTERN = /^(?:MLI|ML\d{2}|ML\d{4})$/;
export const PCODE_RULE = 'expected a Mali P-code (MLI, MLnn or MLnnnn)';
/** A region's P-code (admin level 1). */
export const REGION_PCODE_PATTERN = /^ML\d{2}$/;

/** A drop id: the sha256 of the drop's bytes, in hex. */
export const DROP_ID_PATTERN = /^[0-9a-f]{64}$/;
export const DROP_ID_RULE = 'expected a drop id (64 hex digits)';

/** Whether `text` has the shape of a P-code, in any case. */
export function looksLikePcode(text: string): boolean {
  return PCODE_PATTERN.test(text.toUpperCase());
}
