/**
 * The outcome of reading one raw cell: a value, or a failure that says what was expected and
 * what was found, so a rejection can be reported to a person as it stands.
 */
export type Ok<T> = { ok: true; value: T };
export type Failure = { ok: false; expected: string; found: string; hint?: string };
export type Parsed<T> = Ok<T> | Failure;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function fail(expected: string, found: string, hint?: string): Failure {
  return hint === undefined ? { ok: false, expected, found } : { ok: false, expected, found, hint };
}

/** `expected a count, found "140 8001" (a footnote marker glued to the number?)` */
export function describeFailure(f: Failure): string {
  const base = `expected ${f.expected}, found ${JSON.stringify(f.found)}`;
  return f.hint === undefined ? base : `${base} (${f.hint})`;
}
