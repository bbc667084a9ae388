/**
 * Runtime configuration shared by the worker, the projections and the CLI, and the one place that
 * reads the environment: every other module takes values from here (each function takes
 * `env = process.env` and returns a typed value, or throws saying what it expected and found), so
 * what a deployment can set is listed here and in infra/config/, one file a subject. A unit test
 * (env-reads.unit.spec.ts) fails when `process.env` appears anywhere else outside test/.
 *
 * Everything that names a topic, a consumer group or a task queue comes from here, so tests and
 * parallel deployments can run side by side with their own prefix.
 */
import { availableParallelism } from 'node:os';
import type { StackSettings } from './stack/settings.js';
import { landingDirFromEnv, pcodesFilesFromEnv } from './config/files.js';
import { kafkaProducerFromEnv, type KafkaProducerChoice } from './config/engines.js';
import { logFileFromEnv, metricsFromEnv, observabilityToEnv, otelEndpointFromEnv, type MetricsSettings } from './config/observability.js';

export * from './config/engines.js';
export * from './config/files.js';
export * from './config/processes.js';
export * from './config/api.js';
export * from './config/observability.js';

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
  /** Who replays the row topics in a rebuild on the engine path (rebuildReplayFromEnv). @default node */
  rebuildReplay?: RebuildReplay;
  /** The worker's Kafka producer and where the librdkafka one is built (kafkaProducerFromEnv). @default auto */
  kafkaProducer?: { choice: KafkaProducerChoice; dir: string };
}

export type ProjectionPath = { kind: 'node' } | { kind: 'engine'; brokers: string[] };

/**
 * Who replays the row topics in `tally projections rebuild` on the engine path
 * (TALLY_REBUILD_REPLAY): `node`, the rebuild's own consumer, inserting their messages as they
 * are; or `clickhouse`, ClickHouse's Kafka engine. @default node
 */
export type RebuildReplay = 'node' | 'clickhouse';

export function rebuildReplayFromEnv(env: Env = process.env): RebuildReplay {
  const text = (env.TALLY_REBUILD_REPLAY ?? '').trim();
  if (text === '' || text === 'node') return 'node';
  if (text === 'clickhouse') return 'clickhouse';
  throw new Error(`TALLY_REBUILD_REPLAY: expected "node" or "clickhouse", found "${text}"`);
}

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

/**
 * The path named `kind` whatever TALLY_PROJECTION_PATH says, the engine's brokers from
 * TALLY_ENGINE_KAFKA_BROKERS (default `kafkaBrokers`): for a process that runs both paths (the bench).
 */
export function projectionPathNamed(kind: ProjectionPath['kind'], kafkaBrokers: readonly string[], env: Env = process.env): ProjectionPath {
  return projectionPathFromEnv({ ...env, TALLY_PROJECTION_PATH: kind }, kafkaBrokers);
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
    kafkaProducer: kafkaProducerFromEnv(env),
    rebuildReplay: rebuildReplayFromEnv(env),
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
  if (config.rebuildReplay === 'clickhouse') env.TALLY_REBUILD_REPLAY = 'clickhouse';
  if (config.kafkaProducer) {
    env.TALLY_KAFKA_PRODUCER = config.kafkaProducer.choice;
    env.TALLY_KAFKA_CLIENT_DIR = config.kafkaProducer.dir;
  }
  Object.assign(env, observabilityToEnv(config));
  return env;
}
