/**
 * Secrets out of everything shown: `tally status`, error lines, logs. One rule, by key: a value
 * under a key that names a secret (passwords, SASL, API and subscription keys, webhook secrets,
 * tokens) is shown as `***`; the same values, and passwords in URLs, are cut out of free text.
 *
 * ```ts
 * redactSecrets({ clickhouse: { username: 'default', password: 's3cret' } });
 * // { clickhouse: { username: 'default', password: '***' } }
 * redactText('auth failed for s3cret', secretValues(settings)); // 'auth failed for ***'
 * ```
 */

/** What a secret is shown as. */
export const REDACTED = '***';

const SECRET_KEY = /passw|secret|token|api[-_]?key|subscription[-_]?key|authorization|cookie|signature|credential|private[-_]?key/i;

/** Shorter values are not cut out of text: a one-letter password would cut every such letter. */
const MIN_SECRET_CHARS = 4;

/** True when a key names a secret (`password`, `sasl.password`, `apiKey`, `secret`, `token`…). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A copy with every non-empty string under a secret key replaced by `***` (an empty one stays empty: "no password"). */
export function redactSecrets<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && isSecretKey(key) && typeof value === 'string') return value === '' ? '' : REDACTED;
  if (key !== undefined && isSecretKey(key) && value !== null && typeof value !== 'object') return REDACTED;
  if (Array.isArray(value)) return value.map((v) => walk(v, key !== undefined && isSecretKey(key) ? key : undefined));
  // Plain objects only: an Error, a Date or a Buffer is shown by its own serializer.
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
  }
  return value;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The secret strings of a value (settings, a configuration), to cut out of free text. */
export function secretValues(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown, key: string | undefined) => {
    if (typeof v === 'string') {
      if (key !== undefined && isSecretKey(key) && v.length >= MIN_SECRET_CHARS) found.add(v);
    } else if (Array.isArray(v)) v.forEach((item) => visit(item, key));
    else if (v !== null && typeof v === 'object' && isPlain(v)) for (const [k, item] of Object.entries(v)) visit(item, k);
  };
  visit(value, undefined);
  // Longest first, so a secret that contains another is cut whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** The text without the given secrets and without the password of any `scheme://user:password@` URL. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi, `$1:${REDACTED}@`);
  for (const secret of secrets) if (secret.length >= MIN_SECRET_CHARS) out = out.split(secret).join(REDACTED);
  return out;
}
