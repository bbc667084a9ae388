/**
 * Temporal's native runtime, installed once per process before any worker connects: its logger
 * (the SDK's lines and the native core's, forwarded, as JSON on the process's log destination,
 * level TALLY_WORKER_LOG_LEVEL) and its own Prometheus exporter (TALLY_TEMPORAL_METRICS_PORT).
 */
import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogEntry } from '@temporalio/worker';
import { logLine } from '../adapters/log.js';
import { workerLogLevelFromEnv, type MetricsSettings } from '../infra/config.js';
import { freePort, metricsUrl } from './metrics-server.js';

/** One SDK log entry as a JSON line, like pino's (time in ms, level as a word, msg). */
export function sdkLogLine(entry: LogEntry): string {
  const meta = entry.meta ?? {};
  return JSON.stringify({ level: entry.level.toLowerCase(), time: Number(entry.timestampNanos / 1_000_000n), name: 'temporal', msg: entry.message, ...meta }, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
}

let installed: { metricsUrl?: string } | undefined;

/**
 * Installs the runtime (once; later calls return the first result). Returns the URL of the
 * SDK's metrics, or none when they are off, their port is taken (said once on stderr), or the
 * runtime was installed before by someone else (a test's TestWorkflowEnvironment).
 */
export async function installTemporalRuntime(metrics: MetricsSettings | undefined, warn = (l: string) => process.stderr.write(`${l}\n`)): Promise<{ metricsUrl?: string }> {
  if (installed) return installed;
  const level = workerLogLevelFromEnv();
  const logger = new DefaultLogger(level, (entry) => logLine(sdkLogLine(entry)));
  const logging = { filter: makeTelemetryFilterString({ core: level, other: 'ERROR' }), forward: {} };
  const port = metrics === undefined || metrics.temporal === 'off' ? undefined : metrics.temporal === 0 ? await freePort(metrics.host) : metrics.temporal;
  const host = metrics?.host ?? '127.0.0.1';
  const bindAddress = port === undefined ? undefined : `${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    Runtime.install({ logger, telemetryOptions: { logging, ...(bindAddress ? { metrics: { prometheus: { bindAddress } } } : {}) } });
    installed = { metricsUrl: port === undefined ? undefined : metricsUrl(host, port) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/already been (installed|instantiated)/.test(message)) {
      installed = {};
    } else if (bindAddress) {
      warn(`tally: Temporal SDK metrics: expected to listen on ${bindAddress}, found ${message}: this process exposes no Temporal SDK metrics`);
      Runtime.install({ logger, telemetryOptions: { logging } });
      installed = {};
    } else {
      throw err;
    }
  }
  return installed;
}
