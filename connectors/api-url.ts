/** URLs and messages without secrets: what may be stored in a drop, logged or shown. */

const SECRET_PARAM = /key|token|secret|passw|signature|^sig$|^auth/i;

/** The URL without user info and without query parameters that carry credentials. */
export function publicUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  for (const name of [...parsed.searchParams.keys()]) if (SECRET_PARAM.test(name)) parsed.searchParams.delete(name);
  return parsed.toString();
}

/** The URL with `page` set (replaced when present). */
export function withPage(url: string, page: number): string {
  const parsed = new URL(url);
  parsed.searchParams.set('page', String(page));
  return parsed.toString();
}

/** Header values that are credentials, so that no message can echo them. */
export function secretsOf(headers: Record<string, string>): string[] {
  return Object.entries(headers)
    .filter(([name]) => SECRET_PARAM.test(name) || /^(authorization|cookie)$/i.test(name))
    .map(([, value]) => value)
    .filter((value) => value.length >= 4);
}

export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}
