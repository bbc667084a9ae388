import { describe, expect, it } from 'vitest';
import {
  benchNodeFlagsFromEnv,
  bundleDirFromEnv,
  childEnv,
  configFromEnv,
  configToEnv,
  isExternalStack,
  landingDirFromEnv,
  logLevelFromEnv,
  profilesDirFromEnv,
  secretFromEnv,
  settingsFromEnv,
  stackDirFromEnv,
  stackProviderFromEnv,
  tallyHomeFromEnv,
  workerLogLevelFromEnv,
} from '../../../infra/config.js';
import type { StackSettings } from '../../../infra/stack/settings.js';

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
      dateHorizonDays: 30,
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

  it('reads the date horizon in days, 365 by default, and refuses what is not a whole number of days', () => {
    expect(configFromEnv(stack, {}).dateHorizonDays).toBe(365);
    expect(configFromEnv(stack, { TALLY_DATE_HORIZON_DAYS: '0' }).dateHorizonDays).toBe(0);
    expect(configFromEnv(stack, { TALLY_DATE_HORIZON_DAYS: '730' }).dateHorizonDays).toBe(730);
    for (const bad of ['-1', '1.5', 'a year']) {
      expect(() => configFromEnv(stack, { TALLY_DATE_HORIZON_DAYS: bad })).toThrow(`TALLY_DATE_HORIZON_DAYS: expected a whole number of days, at least 0, found "${bad}"`);
    }
  });

  it('refuses a malformed tolerance with what it expected and found', () => {
    expect(() => configFromEnv(stack, { TALLY_TOLERANCE: 'idps=lots' })).toThrow(/expected indicator=fraction pairs .* found "idps=lots"/);
  });
});

describe('reading the environment', () => {
  it('says what it expected and found for a setting it cannot use', () => {
    expect(() => stackProviderFromEnv({ TALLY_STACK: 'docker' })).toThrow(/TALLY_STACK: expected one of local, containers, external, found "docker"/);
    expect(() => workerLogLevelFromEnv({ TALLY_WORKER_LOG_LEVEL: 'loud' })).toThrow(/TALLY_WORKER_LOG_LEVEL: expected one of TRACE, DEBUG, INFO, WARN, ERROR, found "loud"/);
    expect(() => logLevelFromEnv({ TALLY_LOG_LEVEL: 'verbose' })).toThrow(/TALLY_LOG_LEVEL: expected one of fatal, .* found "verbose"/);
    expect(() => settingsFromEnv({ KAFKA_BROKERS: 'k:9092', TEMPORAL_ADDRESS: 't:7233', CLICKHOUSE_URL: 'http://ch:8123', KAFKA_SSL: 'yes' })).toThrow(/KAFKA_SSL: expected 1 or 0 \(true or false\), found "yes"/);
    expect(() => settingsFromEnv({ KAFKA_BROKERS: 'k:9092' })).toThrow(/expected TEMPORAL_ADDRESS, CLICKHOUSE_URL in the environment, found them unset/);
    expect(() => settingsFromEnv({ KAFKA_BROKERS: 'k:9092', TEMPORAL_ADDRESS: 't:7233', CLICKHOUSE_URL: 'not a url' })).toThrow(/CLICKHOUSE_URL: /);
  });

  it('gives the defaults when a setting is unset', () => {
    expect(stackProviderFromEnv({})).toBeUndefined();
    expect(isExternalStack({ TALLY_STACK: 'external' })).toBe(true);
    expect(stackDirFromEnv({})).toBe('.tally/stack');
    expect(landingDirFromEnv({})).toBe('.tally/landing');
    expect(profilesDirFromEnv({})).toBeUndefined();
    expect(bundleDirFromEnv({})).toBeUndefined();
    expect(workerLogLevelFromEnv({})).toBe('WARN');
    expect(workerLogLevelFromEnv({ TALLY_WORKER_LOG_LEVEL: 'debug' })).toBe('DEBUG');
    expect(logLevelFromEnv({}, 'warn')).toBe('warn');
    expect(tallyHomeFromEnv({ TALLY_HOME: '/opt/tally' })).toBe('/opt/tally');
    expect(benchNodeFlagsFromEnv({ TALLY_BENCH_NODE_FLAGS: ' --cpu-prof  --cpu-prof-dir=prof ' })).toEqual(['--cpu-prof', '--cpu-prof-dir=prof']);
    expect(secretFromEnv('DTM_KEY', { DTM_KEY: 'k' })).toBe('k');
    expect(secretFromEnv('DTM_KEY', { DTM_KEY: '' })).toBeUndefined();
  });

  it('hands the environment on with defaults under it and overrides over it', () => {
    expect(childEnv({ B: 'o' }, { A: 'd', C: 'd' }, { A: 'user', B: 'user' })).toEqual({ A: 'user', B: 'o', C: 'd' });
  });
});
