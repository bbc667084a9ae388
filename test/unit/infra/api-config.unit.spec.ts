import { describe, expect, it } from 'vitest';
import { apiBaseUrlFromEnv, apiBaseUrlVariable, apiKeyFromEnv } from '../../../infra/config.js';

describe('apiKeyFromEnv', () => {
  const names = ['DTM_API_KEY', 'DTMAPI_SUBSCRIPTION_KEY'];

  it('takes the first variable that is set, and says which', () => {
    expect(apiKeyFromEnv(names, { DTMAPI_SUBSCRIPTION_KEY: 'k2' })).toEqual({ name: 'DTMAPI_SUBSCRIPTION_KEY', key: 'k2' });
    expect(apiKeyFromEnv(names, { DTM_API_KEY: 'k1', DTMAPI_SUBSCRIPTION_KEY: 'k2' })).toEqual({ name: 'DTM_API_KEY', key: 'k1' });
  });

  it('is undefined when none is set, or only set empty', () => {
    expect(apiKeyFromEnv(names, {})).toBeUndefined();
    expect(apiKeyFromEnv(names, { DTM_API_KEY: '' })).toBeUndefined();
  });
});

describe('apiBaseUrlFromEnv', () => {
  it('names one variable per source', () => {
    expect(apiBaseUrlVariable('dtm')).toBe('TALLY_DTM_API_URL');
    expect(apiBaseUrlVariable('iom-avr')).toBe('TALLY_IOM_AVR_API_URL');
  });

  it('reads a base URL without its trailing slash; undefined when unset', () => {
    expect(apiBaseUrlFromEnv('dtm', { TALLY_DTM_API_URL: 'http://127.0.0.1:8080/' })).toBe('http://127.0.0.1:8080');
    expect(apiBaseUrlFromEnv('unhcr', { TALLY_UNHCR_API_URL: 'https://mirror.example.org/unhcr' })).toBe('https://mirror.example.org/unhcr');
    expect(apiBaseUrlFromEnv('dtm', {})).toBeUndefined();
  });

  it('refuses what is not an http(s) base URL, and never shows credentials', () => {
    expect(() => apiBaseUrlFromEnv('dtm', { TALLY_DTM_API_URL: 'dtmapi.iom.int' })).toThrow(/^TALLY_DTM_API_URL: expected an http\(s\) base URL .*found "dtmapi.iom.int"$/);
    expect(() => apiBaseUrlFromEnv('dtm', { TALLY_DTM_API_URL: 'http://x/?Admin0Pcode=TCD' })).toThrow(/without query/);
    let message = '';
    try {
      apiBaseUrlFromEnv('dtm', { TALLY_DTM_API_URL: 'http://user:s3cr3t@proxy:8080' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('found "http://***@proxy:8080/"');
    expect(message).not.toContain('s3cr3t');
  });
});
