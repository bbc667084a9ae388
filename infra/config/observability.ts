/**
 * Logs, secrets, metrics and traces.
 * Part of infra/config.ts, the one place that reads the environment.
 */
import { RefusedError } from '../../domain/errors.js';
import type { TallyConfig } from '../config.js';

type Env = NodeJS.ProcessEnv;

const WORKER_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type WorkerLogLevel = (typeof WORKER_LOG_LEVELS)[number];

/** TALLY_WORKER_LOG_LEVEL: the Temporal SDK's own log level (any case). @default 'WARN' */
export function workerLogLevelFromEnv(env: Env = process.env): WorkerLogLevel {
  const text = env.TALLY_WORKER_LOG_LEVEL;
  if (text === undefined || text === '') return 'WARN';
  const level = text.toUpperCase();
  if ((WORKER_LOG_LEVELS as readonly string[]).includes(level)) return level as WorkerLogLevel;
  throw new Error(`TALLY_WORKER_LOG_LEVEL: expected one of ${WORKER_LOG_LEVELS.join(', ')}, found "${text}"`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** TALLY_LOG_LEVEL: the level of the pipeline's JSON logs (any case). @default fallback, 'info' */
export function logLevelFromEnv(env: Env = process.env, fallback: LogLevel = 'info'): LogLevel {
  const text = env.TALLY_LOG_LEVEL;
  if (text === undefined || text === '') return fallback;
  const level = text.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`TALLY_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, found "${text}"`);
}

/** A secret from the variable a profile names (e.g. its `api.apiKeyEnv`); undefined when unset or empty. */
export function secretFromEnv(name: string, env: Env = process.env): string | undefined {
  return env[name] || undefined;
}

/** A setting that cannot be used: names the variable, what it expected and what it found. */
export class SettingError extends RefusedError {
  readonly type = 'SettingInvalid';

  constructor(name: string, expected: string, text: string) {
    super({ where: { at: name }, expected, found: `"${text}"` });
  }
}

/** A metrics port: a number, 0 for a free port chosen at start, or 'off'. */
export type MetricsPort = number | 'off';

/** Where each process exposes `/metrics` (see docs/operations.md). */
export interface MetricsSettings {
  /** Interface the metrics servers listen on. @default '127.0.0.1' */
  host: string;
  /** The worker's tally_* metrics. @default 9464 */
  worker: MetricsPort;
  /** The projections' tally_* metrics. @default 9465 */
  projections: MetricsPort;
  /** The Temporal SDK's own metrics (its Prometheus exporter). @default 9466 */
  temporal: MetricsPort;
}

export const DEFAULT_METRICS_PORTS = { worker: 9464, projections: 9465, temporal: 9466 } as const;

function metricsPort(name: string, text: string): MetricsPort {
  if (text.toLowerCase() === 'off') return 'off';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new SettingError(name, 'a port (1-65535), 0 for a free port, or "off"', text);
  return n;
}

/**
 * TALLY_METRICS_HOST, TALLY_WORKER_METRICS_PORT, TALLY_PROJECTIONS_METRICS_PORT and
 * TALLY_TEMPORAL_METRICS_PORT. TALLY_METRICS_PORT=N sets all three at once (the worker on N, the
 * projections on N+1, Temporal on N+2; 0 or 'off' for all); a per-process variable wins over it.
 */
export function metricsFromEnv(env: Env = process.env): MetricsSettings {
  const base = env.TALLY_METRICS_PORT ? metricsPort('TALLY_METRICS_PORT', env.TALLY_METRICS_PORT) : undefined;
  const port = (name: string, key: keyof typeof DEFAULT_METRICS_PORTS, offset: number): MetricsPort => {
    const text = env[name];
    if (text) return metricsPort(name, text);
    if (base === undefined) return DEFAULT_METRICS_PORTS[key];
    if (base === 'off' || base === 0) return base;
    if (base + offset > 65535) throw new SettingError('TALLY_METRICS_PORT', `a port of at most ${65535 - 2} (three ports from it)`, String(base));
    return base + offset;
  };
  return {
    host: env.TALLY_METRICS_HOST || '127.0.0.1',
    worker: port('TALLY_WORKER_METRICS_PORT', 'worker', 0),
    projections: port('TALLY_PROJECTIONS_METRICS_PORT', 'projections', 1),
    temporal: port('TALLY_TEMPORAL_METRICS_PORT', 'temporal', 2),
  };
}

/** TALLY_LOG_FILE: the JSON logs (pipeline, alerts, Temporal SDK, kafkajs) go there instead of stderr; undefined when unset. */
export function logFileFromEnv(env: Env = process.env): string | undefined {
  return env.TALLY_LOG_FILE || undefined;
}

/** TALLY_OTEL_ENDPOINT: an OTLP/HTTP URL (e.g. http://127.0.0.1:4318/v1/traces); tracing is off when unset. */
export function otelEndpointFromEnv(env: Env = process.env): string | undefined {
  const text = env.TALLY_OTEL_ENDPOINT;
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SettingError('TALLY_OTEL_ENDPOINT', 'an OTLP/HTTP URL such as http://127.0.0.1:4318/v1/traces', text);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SettingError('TALLY_OTEL_ENDPOINT', 'an http:// or https:// URL', text);
  return text;
}

/** The metrics, log and trace settings as the environment of another process (configToEnv's part). */
export function observabilityToEnv(config: TallyConfig): Record<string, string> {
  const env: Record<string, string> = {};
  if (config.metrics) {
    env.TALLY_METRICS_HOST = config.metrics.host;
    env.TALLY_WORKER_METRICS_PORT = String(config.metrics.worker);
    env.TALLY_PROJECTIONS_METRICS_PORT = String(config.metrics.projections);
    env.TALLY_TEMPORAL_METRICS_PORT = String(config.metrics.temporal);
  }
  if (config.logFile) env.TALLY_LOG_FILE = config.logFile;
  if (config.otelEndpoint) env.TALLY_OTEL_ENDPOINT = config.otelEndpoint;
  return env;
}
