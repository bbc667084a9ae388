/**
 * Runtime configuration shared by the worker, the projections and the CLI, and the one place that
 * reads the environment: every other module takes values from here (each function takes
 * `env = process.env` and returns a typed value, or throws saying what it expected and found), so
 * what a deployment can set is listed in this file. A unit test (env-reads.unit.spec.ts) fails
 * when `process.env` appears anywhere else outside test/.
 *
 * Everything that names a topic, a consumer group or a task queue comes from here, so tests and
 * parallel deployments can run side by side with their own prefix.
 */
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { StackSettings } from './stack/settings.js';
import { TallyError } from '../domain/errors.js';

type Env = NodeJS.ProcessEnv;

export interface TallyConfig {
  stack: StackSettings;
  /** Prefix of the four topics. @default '' (topics tally.drops, tally.observations…) */
  topicPrefix: string;
  /** Consumer group of the ClickHouse projections. @default 'tally-projections' */
  projectionsGroup: string;
  /** Temporal task queue of the worker. @default 'migration-tally' */
  taskQueue: string;
  /** Prefix of workflow ids, for deployments that share a Temporal namespace. @default '' */
  workflowIdPrefix: string;
  /** Content-addressed landing store. @default '.tally/landing' */
  landingDir: string;
  alerts: {
    webhook?: { url: string; secret?: string };
    log: boolean;
  };
  /** Relative tolerance per indicator, overriding the 5% default. */
  tolerance: Record<string, number>;
  /** Threads that parse a large plain CSV. @default the cores, at most 4 */
  parseThreads: number;
  /** The user's P-code lists (TALLY_PCODES_FILE), read beside the bundled ones. @default [] */
  pcodesFiles: string[];
  /** Days after a drop is received that a reference date may fall; a later one is a typo or a forecast, rejected. @default 365 */
  dateHorizonDays: number;
  /** Where the worker, the projections and Temporal's SDK expose Prometheus metrics; absent: none. */
  metrics?: MetricsSettings;
  /** The JSON logs go to this file instead of stderr. @default undefined (stderr) */
  logFile?: string;
  /** OTLP/HTTP endpoint that receives traces; tracing is off when absent. @default undefined */
  otelEndpoint?: string;
  /**
   * Who writes observations and figures into ClickHouse (TALLY_PROJECTION_PATH). `node`: the
   * projections consumer, as for every other event. `engine`: they travel as flat rows on their
   * own topics, read by ClickHouse's Kafka engine; `brokers` is the broker list as ClickHouse
   * reaches it (TALLY_ENGINE_KAFKA_BROKERS, default KAFKA_BROKERS). @default { kind: 'node' }
   */
  projectionPath?: ProjectionPath;
}

export type ProjectionPath = { kind: 'node' } | { kind: 'engine'; brokers: string[] };

/** TALLY_PROJECTION_PATH=node|engine, and for the engine the brokers ClickHouse dials. */
export function projectionPathFromEnv(env: Env = process.env, kafkaBrokers: readonly string[] = []): ProjectionPath {
  const text = (env.TALLY_PROJECTION_PATH ?? '').trim();
  if (text === '' || text === 'node') return { kind: 'node' };
  if (text !== 'engine') throw new Error(`TALLY_PROJECTION_PATH: expected "node" or "engine", found "${text}"`);
  const listed = (env.TALLY_ENGINE_KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  const brokers = listed.length > 0 ? listed : [...kafkaBrokers];
  if (brokers.length === 0) throw new Error('TALLY_ENGINE_KAFKA_BROKERS: expected host:port brokers that ClickHouse can reach, found none (and no KAFKA_BROKERS either)');
  for (const b of brokers) {
    if (!/^[^\s:,]+:\d{1,5}$/.test(b)) throw new Error(`TALLY_ENGINE_KAFKA_BROKERS: expected host:port, found "${b}"`);
  }
  return { kind: 'engine', brokers };
}

function parseTolerance(text: string | undefined): Record<string, number> {
  if (!text) return {};
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [indicator, value] = part.split('=').map((s) => s.trim());
    const n = Number(value);
    if (!indicator || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new Error(`TALLY_TOLERANCE: expected indicator=fraction pairs such as "idps=0.05", found "${part}"`);
    }
    out[indicator] = n;
  }
  return out;
}

function parseThreads(text: string | undefined): number {
  if (text === undefined || text === '') return Math.min(4, Math.max(1, availableParallelism()));
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`TALLY_PARSE_THREADS: expected a whole number of threads, at least 1, found "${text}"`);
  return n;
}

function parseHorizon(text: string | undefined): number {
  if (text === undefined || text === '') return 365;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new Error(`TALLY_DATE_HORIZON_DAYS: expected a whole number of days, at least 0, found "${text}"`);
  return n;
}

export function configFromEnv(stack: StackSettings, env: Env = process.env, overrides: Partial<TallyConfig> = {}): TallyConfig {
  return {
    stack,
    topicPrefix: env.TALLY_TOPIC_PREFIX ?? '',
    projectionsGroup: env.TALLY_PROJECTIONS_GROUP ?? 'tally-projections',
    taskQueue: env.TALLY_TASK_QUEUE ?? 'migration-tally',
    workflowIdPrefix: env.TALLY_WORKFLOW_ID_PREFIX ?? '',
    landingDir: landingDirFromEnv(env),
    alerts: {
      webhook: env.TALLY_ALERT_WEBHOOK_URL ? { url: env.TALLY_ALERT_WEBHOOK_URL, secret: env.TALLY_ALERT_WEBHOOK_SECRET } : undefined,
      log: env.TALLY_ALERT_LOG !== '0',
    },
    tolerance: parseTolerance(env.TALLY_TOLERANCE),
    parseThreads: parseThreads(env.TALLY_PARSE_THREADS),
    pcodesFiles: pcodesFilesFromEnv(env),
    dateHorizonDays: parseHorizon(env.TALLY_DATE_HORIZON_DAYS),
    metrics: metricsFromEnv(env),
    logFile: logFileFromEnv(env),
    otelEndpoint: otelEndpointFromEnv(env),
    projectionPath: projectionPathFromEnv(env, stack.kafka.brokers),
    ...overrides,
  };
}

/**
 * The environment that gives another process (a `tally worker`, a `tally` command) exactly this
 * configuration against the same engines: the inverse of configFromEnv with TALLY_STACK=external.
 */
export function configToEnv(config: TallyConfig): Record<string, string> {
  const { kafka, temporal, clickhouse } = config.stack;
  const env: Record<string, string> = {
    TALLY_STACK: 'external',
    KAFKA_BROKERS: kafka.brokers.join(','),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    CLICKHOUSE_URL: clickhouse.url,
    CLICKHOUSE_USER: clickhouse.username,
    CLICKHOUSE_PASSWORD: clickhouse.password,
    CLICKHOUSE_DATABASE: clickhouse.database,
    TALLY_TOPIC_PREFIX: config.topicPrefix,
    TALLY_PROJECTIONS_GROUP: config.projectionsGroup,
    TALLY_TASK_QUEUE: config.taskQueue,
    TALLY_WORKFLOW_ID_PREFIX: config.workflowIdPrefix,
    TALLY_LANDING_DIR: config.landingDir,
    TALLY_ALERT_LOG: config.alerts.log ? '1' : '0',
    TALLY_PARSE_THREADS: String(config.parseThreads),
    TALLY_DATE_HORIZON_DAYS: String(config.dateHorizonDays),
  };
  if (kafka.ssl) env.KAFKA_SSL = '1';
  if (kafka.sasl) {
    env.KAFKA_SASL_MECHANISM = kafka.sasl.mechanism;
    env.KAFKA_SASL_USERNAME = kafka.sasl.username;
    env.KAFKA_SASL_PASSWORD = kafka.sasl.password;
  }
  if (temporal.tls) env.TEMPORAL_TLS = '1';
  if (config.alerts.webhook) {
    env.TALLY_ALERT_WEBHOOK_URL = config.alerts.webhook.url;
    if (config.alerts.webhook.secret) env.TALLY_ALERT_WEBHOOK_SECRET = config.alerts.webhook.secret;
  }
  const tolerance = Object.entries(config.tolerance).map(([k, v]) => `${k}=${v}`).join(',');
  if (tolerance) env.TALLY_TOLERANCE = tolerance;
  if (config.pcodesFiles?.length) env.TALLY_PCODES_FILE = config.pcodesFiles.join(':');
  if (config.projectionPath?.kind === 'engine') {
    env.TALLY_PROJECTION_PATH = 'engine';
    env.TALLY_ENGINE_KAFKA_BROKERS = config.projectionPath.brokers.join(',');
  }
  Object.assign(env, observabilityToEnv(config));
  return env;
}

// ---- the engines ----------------------------------------------------------------------------

export type StackProvider = StackSettings['provider'];
const PROVIDERS: readonly StackProvider[] = ['local', 'containers', 'external'];

/** TALLY_STACK: which engines to use; undefined when unset (the stack manager then picks one). */
export function stackProviderFromEnv(env: Env = process.env): StackProvider | undefined {
  const wanted = env.TALLY_STACK;
  if (wanted === undefined || wanted === '') return undefined;
  if ((PROVIDERS as readonly string[]).includes(wanted)) return wanted as StackProvider;
  throw new Error(`TALLY_STACK: expected one of ${PROVIDERS.join(', ')}, found "${wanted}"`);
}

/** True when TALLY_STACK=external: existing clusters, never local engines. */
export function isExternalStack(env: Env = process.env): boolean {
  return stackProviderFromEnv(env) === 'external';
}

/** TALLY_STACK_DIR: where `tally up` keeps the engines' state. @default '.tally/stack' */
export function stackDirFromEnv(env: Env = process.env): string {
  return env.TALLY_STACK_DIR || '.tally/stack';
}

/** TALLY_HOME: where infra/install.sh keeps the engines and their manifest. @default ~/.cache/migration-tally */
export function tallyHomeFromEnv(env: Env = process.env): string {
  return env.TALLY_HOME || join(homedir(), '.cache', 'migration-tally');
}

function flag(env: Env, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`${name}: expected 1 or 0 (true or false), found "${value}"`);
}

/**
 * Settings for existing clusters (TALLY_STACK=external): KAFKA_BROKERS (comma-separated),
 * KAFKA_SSL, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TLS, CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE.
 */
export function settingsFromEnv(env: Env = process.env): StackSettings {
  const missing = ['KAFKA_BROKERS', 'TEMPORAL_ADDRESS', 'CLICKHOUSE_URL'].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`TALLY_STACK=external: expected ${missing.join(', ')} in the environment, found ${missing.length === 1 ? 'it' : 'them'} unset`);
  }
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  const parsed = StackSettings.safeParse({
    provider: 'external',
    kafka: {
      brokers: env.KAFKA_BROKERS!.split(',').map((b) => b.trim()).filter(Boolean),
      ssl: flag(env, 'KAFKA_SSL'),
      sasl: mechanism ? { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' } : undefined,
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      tls: flag(env, 'TEMPORAL_TLS'),
    },
    clickhouse: {
      url: env.CLICKHOUSE_URL,
      username: env.CLICKHOUSE_USER || 'default',
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database: env.CLICKHOUSE_DATABASE || 'tally',
    },
  });
  if (!parsed.success) {
    const names: Record<string, string> = {
      'kafka.brokers': 'KAFKA_BROKERS',
      'kafka.sasl.mechanism': 'KAFKA_SASL_MECHANISM',
      'temporal.address': 'TEMPORAL_ADDRESS',
      'temporal.namespace': 'TEMPORAL_NAMESPACE',
      'clickhouse.url': 'CLICKHOUSE_URL',
      'clickhouse.database': 'CLICKHOUSE_DATABASE',
    };
    const issues = parsed.error.issues.map((i) => {
      const path = i.path.join('.');
      const name = names[path] ?? names[i.path.slice(0, 2).join('.')] ?? path;
      return `${name}: ${i.message}`;
    });
    throw new Error(`TALLY_STACK=external: ${issues.join('; ')}`);
  }
  return parsed.data;
}

// ---- files ----------------------------------------------------------------------------------

/** TALLY_LANDING_DIR: the content-addressed landing store. @default '.tally/landing' */
export function landingDirFromEnv(env: Env = process.env): string {
  return env.TALLY_LANDING_DIR || '.tally/landing';
}

/** TALLY_PROFILES_DIR: a directory of the user's source profiles, beside the bundled ones; undefined when unset. */
export function profilesDirFromEnv(env: Env = process.env): string | undefined {
  return env.TALLY_PROFILES_DIR || undefined;
}

/**
 * TALLY_PCODES_FILE: the user's P-code lists in OCHA's layout (a newer or deeper list, admin 3),
 * several separated by ':'; [] when unset. Their rows add to the bundled lists.
 */
export function pcodesFilesFromEnv(env: Env = process.env): string[] {
  return (env.TALLY_PCODES_FILE ?? '').split(':').map((p) => p.trim()).filter((p) => p !== '');
}

/** TALLY_BUNDLE_DIR: where development runs cache workflow bundles; undefined when unset (then <project>/.tally/bundles). */
export function bundleDirFromEnv(env: Env = process.env): string | undefined {
  return env.TALLY_BUNDLE_DIR || undefined;
}

// ---- logs and secrets -----------------------------------------------------------------------

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

// ---- processes ------------------------------------------------------------------------------

/** NODE_OPTIONS, '' when unset: the flags every Node process started with this environment gets. */
export function nodeOptionsFromEnv(env: Env = process.env): string {
  return env.NODE_OPTIONS ?? '';
}

/** What `tally worker` needs to decide whether to re-execute itself with its runtime settings (worker/runtime.ts). */
export interface WorkerProcessEnv {
  /** glibc's malloc tunables as the user set them (absent when unset: glibc reads them at start). */
  malloc: { MALLOC_ARENA_MAX?: string; MALLOC_MMAP_THRESHOLD_?: string };
  /** NODE_OPTIONS, '' when unset. */
  nodeOptions: string;
  /**
   * TALLY_WORKER_RUNTIME: 'applied' in the process `tally worker` re-executed with its settings,
   * 'off' to run the worker exactly as started; undefined when unset.
   */
  runtime?: 'applied' | 'off';
}

export function workerProcessFromEnv(env: Env = process.env): WorkerProcessEnv {
  const malloc: WorkerProcessEnv['malloc'] = {};
  if (env.MALLOC_ARENA_MAX !== undefined) malloc.MALLOC_ARENA_MAX = env.MALLOC_ARENA_MAX;
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined) malloc.MALLOC_MMAP_THRESHOLD_ = env.MALLOC_MMAP_THRESHOLD_;
  const text = env.TALLY_WORKER_RUNTIME;
  let runtime: WorkerProcessEnv['runtime'];
  if (text === 'applied') runtime = 'applied';
  else if (text === 'off' || text === '0') runtime = 'off';
  else if (text !== undefined && text !== '') throw new Error(`TALLY_WORKER_RUNTIME: expected "off" (or "applied", set by tally itself), found "${text}"`);
  return { malloc, nodeOptions: nodeOptionsFromEnv(env), ...(runtime ? { runtime } : {}) };
}

/** TALLY_BENCH_NODE_FLAGS: extra node flags for the benchmark's worker and projections, e.g. "--cpu-prof --cpu-prof-dir=prof". */
export function benchNodeFlagsFromEnv(env: Env = process.env): string[] {
  return (env.TALLY_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * The environment of a child process: `defaults` (where this environment has no value), this
 * environment, then `overrides`. The one way code here hands the environment on.
 */
export function childEnv(overrides: Record<string, string> = {}, defaults: Record<string, string> = {}, env: Env = process.env): NodeJS.ProcessEnv {
  return { ...defaults, ...env, ...overrides };
}

// ---- API sources ----------------------------------------------------------------------------

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

// ---- metrics, logs and traces ---------------------------------------------------------------

/** A setting that cannot be used: names the variable, what it expected and what it found. */
export class SettingError extends TallyError {
  readonly type = 'SettingInvalid';
  readonly nonRetryable = true;

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
function observabilityToEnv(config: TallyConfig): Record<string, string> {
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

/**
 * TALLY_PARENT_PID: set by the process that starts a worker, projections or explorer process it
 * supervises (`tally up`'s supervisor, `tally worker` re-executing itself), so that the child exits
 * when that process is gone, even if it was gone before the child got as far as looking.
 * Undefined when unset.
 */
export function parentPidFromEnv(env: Env = process.env): number | undefined {
  const text = env.TALLY_PARENT_PID;
  if (text === undefined || text === '') return undefined;
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid < 1) throw new Error(`TALLY_PARENT_PID: expected a process id, found "${text}"`);
  return pid;
}
