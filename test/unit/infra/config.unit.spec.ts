import { describe, expect, it } from 'vitest';
import { configFromEnv, configToEnv } from '../../../infra/config.js';
import { settingsFromEnv, type StackSettings } from '../../../infra/stack/settings.js';

const stack: StackSettings = {
  provider: 'external',
  kafka: { brokers: ['k1:9092', 'k2:9092'], ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } },
  temporal: { address: 't:7233', namespace: 'tally', tls: true },
  clickhouse: { url: 'http://ch:8123', username: 'writer', password: 'secret', database: 'tally_prod' },
};

describe('configToEnv', () => {
  it('round-trips through the environment another process reads', () => {
    const config = configFromEnv(stack, {}, {
      topicPrefix: 'x.',
      projectionsGroup: 'g',
      taskQueue: 'q',
      workflowIdPrefix: 'w-',
      landingDir: '/data/landing',
      alerts: { log: false, webhook: { url: 'http://hooks/alerts', secret: 's' } },
      tolerance: { idps: 0.08 },
      parseThreads: 3,
    });
    const env = configToEnv(config);
    const again = configFromEnv(settingsFromEnv(env), env);
    expect(again).toEqual(config);
  });

  it('refuses a parse thread count that is not a whole number of at least 1', () => {
    expect(() => configFromEnv(stack, { TALLY_PARSE_THREADS: '0' })).toThrow(/TALLY_PARSE_THREADS: expected a whole number of threads, at least 1, found "0"/);
    expect(configFromEnv(stack, { TALLY_PARSE_THREADS: '2' }).parseThreads).toBe(2);
    expect(configFromEnv(stack, {}).parseThreads).toBeGreaterThanOrEqual(1);
  });

  it('refuses a malformed tolerance with what it expected and found', () => {
    expect(() => configFromEnv(stack, { TALLY_TOLERANCE: 'idps=lots' })).toThrow(/expected indicator=fraction pairs .* found "idps=lots"/);
  });
});
