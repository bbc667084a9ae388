/**
 * API sources: their keys and base URLs.
 * Part of infra/config.ts, the one place that reads the environment.
 */
type Env = NodeJS.ProcessEnv;

/**
 * The API key from the first of `names` that is set (a profile's `api.apiKeyEnv`; DTM's are
 * DTM_API_KEY, as OCHA's HDX scraper reads it, and DTMAPI_SUBSCRIPTION_KEY, as IOM's `dtmapi`
 * does), with the variable it came from; undefined when none is set. Never log the key.
 */
export function apiKeyFromEnv(names: readonly string[], env: Env = process.env): { name: string; key: string } | undefined {
  for (const name of names) {
    const key = env[name];
    if (key) return { name, key };
  }
  return undefined;
}

/** The variable that overrides a source's API base URL: TALLY_DTM_API_URL, TALLY_UNHCR_API_URL, TALLY_IOM_AVR_API_URL… */
export function apiBaseUrlVariable(source: string): string {
  return `TALLY_${source.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_URL`;
}

/**
 * TALLY_<SOURCE>_API_URL: another base URL for a source's API (a mirror, a proxy, a test server),
 * in place of the origin of the profile's `api.url`; undefined when unset.
 */
export function apiBaseUrlFromEnv(source: string, env: Env = process.env): string | undefined {
  const name = apiBaseUrlVariable(source);
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    // A URL with credentials is shown without them.
    const shown = url && (url.username || url.password) ? `${url.protocol}//***@${url.host}${url.pathname}` : text;
    throw new Error(`${name}: expected an http(s) base URL such as "http://127.0.0.1:8080", without query or credentials, found "${shown}"`);
  }
  return text.replace(/\/+$/, '');
}
