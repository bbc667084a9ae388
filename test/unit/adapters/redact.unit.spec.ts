/** Secrets never shown: settings, configurations, free text and log lines pass through one redaction. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets, redactText, secretValues } from '../../../adapters/redact.js';
import { configFromEnv, settingsFromEnv } from '../../../infra/config.js';
import { projectionsLogger } from '../../../projections/log.js';

const ENV = {
  TALLY_STACK: 'external',
  KAFKA_BROKERS: 'k1:9093',
  KAFKA_SSL: '1',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'tally',
  KAFKA_SASL_PASSWORD: 'kafka-sasl-Pa55',
  TEMPORAL_ADDRESS: 'temporal:7233',
  CLICKHOUSE_URL: 'https://ch.internal:8443',
  CLICKHOUSE_USER: 'writer',
  CLICKHOUSE_PASSWORD: 'ch-writer-Pa55',
  TALLY_ALERT_WEBHOOK_URL: 'https://hooks.example/tally',
  TALLY_ALERT_WEBHOOK_SECRET: 'hmac-webhook-5ecret',
};
const SECRETS = ['kafka-sasl-Pa55', 'ch-writer-Pa55', 'hmac-webhook-5ecret'];

describe('redactSecrets', () => {
  const config = configFromEnv(settingsFromEnv(ENV), ENV);
  const shown = JSON.stringify(redactSecrets({ engines: config.stack, alerts: config.alerts }));

  it('shows none of the passwords, SASL or webhook secrets of a real configuration', () => {
    for (const secret of SECRETS) expect(JSON.stringify(config)).toContain(secret);
    for (const secret of SECRETS) expect(shown).not.toContain(secret);
  });

  it('keeps everything else, and says where a secret was', () => {
    const redacted = redactSecrets(config);
    expect(redacted.stack.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'tally', password: REDACTED });
    expect(redacted.stack.clickhouse).toMatchObject({ url: 'https://ch.internal:8443', username: 'writer', password: REDACTED });
    expect(redacted.alerts.webhook).toEqual({ url: 'https://hooks.example/tally', secret: REDACTED });
    expect(redacted.stack.temporal).toEqual(config.stack.temporal);
    // The input is left as it was.
    expect(config.stack.clickhouse.password).toBe('ch-writer-Pa55');
  });

  it('redacts the analyst password, API keys and tokens by their keys; an empty password stays empty', () => {
    expect(
      redactSecrets({ analyst: { username: 'analyst', password: 'analyst' }, apiKey: 'k-123', headers: { 'Ocp-Apim-Subscription-Key': 'abcd', Authorization: 'Bearer x' }, token: 7, password: '' }),
    ).toEqual({ analyst: { username: 'analyst', password: REDACTED }, apiKey: REDACTED, headers: { 'Ocp-Apim-Subscription-Key': REDACTED, Authorization: REDACTED }, token: REDACTED, password: '' });
  });
});

describe('redactText', () => {
  const config = configFromEnv(settingsFromEnv(ENV), ENV);

  it('cuts the configuration\'s secrets out of an error message', () => {
    const message = 'SASL authentication failed for tally with kafka-sasl-Pa55; ClickHouse said: wrong password ch-writer-Pa55';
    expect(redactText(message, secretValues(config))).toBe(`SASL authentication failed for tally with ${REDACTED}; ClickHouse said: wrong password ${REDACTED}`);
  });

  it('cuts the password out of any URL with user info', () => {
    expect(redactText('connect to http://default:s3cr3t@127.0.0.1:8123/ failed')).toBe(`connect to http://default:${REDACTED}@127.0.0.1:8123/ failed`);
    expect(redactText('http://127.0.0.1:8123/?database=tally')).toBe('http://127.0.0.1:8123/?database=tally');
  });

  it('leaves values too short to be told apart from text', () => {
    expect(secretValues({ password: 'p' })).toEqual([]);
    expect(redactText('keep the p', ['p'])).toBe('keep the p');
  });
});

describe('the projections logger', () => {
  it('writes secrets as *** and keeps errors as they are', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = projectionsLogger('test', sink);
    log.info({ settings: { clickhouse: { password: 'ch-writer-Pa55' } }, err: new Error('boom') }, 'started');
    const line = JSON.parse(lines[0]!) as { settings: { clickhouse: { password: string } }; err: { message: string } };
    expect(line.settings.clickhouse.password).toBe(REDACTED);
    expect(line.err.message).toBe('boom');
  });
});
