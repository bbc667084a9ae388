import { describe, expect, it } from 'vitest';
import { configFromEnv, configToEnv, logFileFromEnv, metricsFromEnv, otelEndpointFromEnv, settingsFromEnv, SettingError } from '../../../infra/config.js';
import type { StackSettings } from '../../../infra/stack/settings.js';

const stack: StackSettings = {
  provider: 'external',
  kafka: { brokers: ['k:9092'], ssl: false },
  temporal: { address: 't:7233', namespace: 'default', tls: false },
  clickhouse: { url: 'http://ch:8123', username: 'default', password: '', database: 'tally' },
};

describe('metricsFromEnv', () => {
  it('defaults to 127.0.0.1 and ports 9464 (worker), 9465 (projections), 9466 (Temporal SDK)', () => {
    expect(metricsFromEnv({})).toEqual({ host: '127.0.0.1', worker: 9464, projections: 9465, temporal: 9466 });
  });

  it('takes each port, 0 for a free port and off (any case) to disable', () => {
    expect(
      metricsFromEnv({ TALLY_METRICS_HOST: '0.0.0.0', TALLY_WORKER_METRICS_PORT: '0', TALLY_PROJECTIONS_METRICS_PORT: 'OFF', TALLY_TEMPORAL_METRICS_PORT: '19466' }),
    ).toEqual({ host: '0.0.0.0', worker: 0, projections: 'off', temporal: 19466 });
  });

  it('reads TALLY_METRICS_PORT as the first of three ports, a per-process variable winning over it', () => {
    expect(metricsFromEnv({ TALLY_METRICS_PORT: '9100' })).toMatchObject({ worker: 9100, projections: 9101, temporal: 9102 });
    expect(metricsFromEnv({ TALLY_METRICS_PORT: '9100', TALLY_PROJECTIONS_METRICS_PORT: '9200' })).toMatchObject({ worker: 9100, projections: 9200, temporal: 9102 });
    expect(metricsFromEnv({ TALLY_METRICS_PORT: 'off' })).toMatchObject({ worker: 'off', projections: 'off', temporal: 'off' });
    expect(metricsFromEnv({ TALLY_METRICS_PORT: '0' })).toMatchObject({ worker: 0, projections: 0, temporal: 0 });
  });

  it('refuses a port that is not one, naming the variable, what it expected and what it found', () => {
    expect(() => metricsFromEnv({ TALLY_WORKER_METRICS_PORT: 'http' })).toThrow(
      'TALLY_WORKER_METRICS_PORT: expected a port (1-65535), 0 for a free port, or "off", found "http"',
    );
    expect(() => metricsFromEnv({ TALLY_PROJECTIONS_METRICS_PORT: '70000' })).toThrow(SettingError);
    expect(() => metricsFromEnv({ TALLY_METRICS_PORT: '65534' })).toThrow(/TALLY_METRICS_PORT: expected a port of at most 65533/);
    expect(() => metricsFromEnv({ TALLY_TEMPORAL_METRICS_PORT: '-1' })).toThrow(/found "-1"/);
  });
});

describe('logs and traces', () => {
  it('TALLY_LOG_FILE names the log file; unset is stderr', () => {
    expect(logFileFromEnv({})).toBeUndefined();
    expect(logFileFromEnv({ TALLY_LOG_FILE: '/var/log/tally.log' })).toBe('/var/log/tally.log');
  });

  it('TALLY_OTEL_ENDPOINT is an http(s) URL; tracing is off without it', () => {
    expect(otelEndpointFromEnv({})).toBeUndefined();
    expect(otelEndpointFromEnv({ TALLY_OTEL_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe('http://127.0.0.1:4318/v1/traces');
    expect(() => otelEndpointFromEnv({ TALLY_OTEL_ENDPOINT: 'collector:4318' })).toThrow(/TALLY_OTEL_ENDPOINT: expected an http:\/\/ or https:\/\/ URL, found "collector:4318"/);
    expect(() => otelEndpointFromEnv({ TALLY_OTEL_ENDPOINT: 'not a url' })).toThrow(/expected an OTLP\/HTTP URL/);
  });

  it('reach another process through configToEnv', () => {
    const config = configFromEnv(stack, {
      TALLY_WORKER_METRICS_PORT: '0',
      TALLY_TEMPORAL_METRICS_PORT: 'off',
      TALLY_LOG_FILE: '/tmp/tally.log',
      TALLY_OTEL_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
    });
    const env = configToEnv(config);
    expect(env).toMatchObject({ TALLY_WORKER_METRICS_PORT: '0', TALLY_PROJECTIONS_METRICS_PORT: '9465', TALLY_TEMPORAL_METRICS_PORT: 'off', TALLY_LOG_FILE: '/tmp/tally.log' });
    expect(configFromEnv(settingsFromEnv(env), env)).toEqual(config);
  });
});
