/**
 * The pipeline's long-running parts in one process: the Temporal worker (workflows and activities)
 * and the ClickHouse projections (a Kafka consumer group). Several such processes can share one
 * task queue and one consumer group: nothing here keeps state another process would not see.
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { connectWorker } from '../adapters/temporal-worker.js';
import { logTo } from '../adapters/log.js';
import { projectionsRegistry, workerRegistry } from '../adapters/metrics.js';
import { createActivities, createActivityDeps, type ActivityDeps } from '../activities/index.js';
import { startProjections } from '../projections/runner.js';
import type { TallyConfig } from '../infra/config.js';
import { dropLogInterceptors } from './log-context.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { installTemporalRuntime } from './temporal-runtime.js';
import { workerTracing, type WorkerTracing } from './tracing.js';
import { workflowBundlePath } from './workflow-bundle.js';

/** The `/metrics` URL of each part of this process; absent when off or its port was taken. */
export interface ServiceMetricsUrls {
  worker?: string;
  projections?: string;
  temporal?: string;
}

export interface RunningServices {
  deps: ActivityDeps;
  worker: Worker;
  metrics: ServiceMetricsUrls;
  /** True when spans go to TALLY_OTEL_ENDPOINT. */
  traced: boolean;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Run the projections consumer in this process. @default true */
  projections?: boolean;
  /** A workflow bundle; by default the cached one for the current workflow code (see workflow-bundle.ts). */
  workflowBundle?: { code: string } | { codePath: string };
}

/**
 * The worker's interceptors and sinks: the drop's fields on the SDK's activity log lines, always;
 * OpenTelemetry's activity interceptors and workflow span sink only when tracing is configured.
 */
export function interceptorOptions(tracing: WorkerTracing | undefined): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: { activity: [dropLogInterceptors, ...(tracing?.activityInterceptors ?? [])] },
    ...(tracing ? { sinks: tracing.sinks } : {}),
  };
}

/** Starts a metrics server for a port setting, or none when it is off. */
async function serveMetrics(config: TallyConfig, part: 'worker' | 'projections'): Promise<MetricsServer | undefined> {
  const port = config.metrics?.[part];
  if (port === undefined || port === 'off') return undefined;
  return startMetricsServer(part === 'worker' ? workerRegistry : projectionsRegistry, { host: config.metrics!.host, port, name: part });
}

/** The projections alone, as the supervised `projections` process runs them, with their metrics server. */
export async function startProjectionsService(config: TallyConfig): Promise<{ metrics: ServiceMetricsUrls; stop(): Promise<void> }> {
  if (config.logFile) logTo(config.logFile);
  const projections = await startProjections({ settings: config.stack, topicPrefix: config.topicPrefix, groupId: config.projectionsGroup, path: config.projectionPath });
  const server = await serveMetrics(config, 'projections');
  return {
    metrics: { projections: server?.url },
    async stop() {
      await projections.stop();
      await server?.close();
    },
  };
}

export async function startServices(config: TallyConfig, options: ServiceOptions = {}): Promise<RunningServices> {
  if (config.logFile) logTo(config.logFile);
  const runtime = await installTemporalRuntime(config.metrics);
  const deps = await createActivityDeps(config);
  const projections =
    options.projections === false
      ? undefined
      : await startProjections({ settings: config.stack, topicPrefix: config.topicPrefix, groupId: config.projectionsGroup, path: config.projectionPath });
  const tracing = workerTracing(config);
  const connection = await connectWorker(config.stack.temporal);
  const worker = await Worker.create({
    connection,
    namespace: config.stack.temporal.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: options.workflowBundle ?? { codePath: await workflowBundlePath(undefined, { traced: tracing !== undefined }) },
    activities: createActivities(deps),
    ...interceptorOptions(tracing),
    // A drop is a handful of workflows; the default cache scales with the heap and holds far more.
    maxCachedWorkflows: 100,
  });
  const servers = [await serveMetrics(config, 'worker'), projections ? await serveMetrics(config, 'projections') : undefined];
  const running = worker.run();
  let stopped = false;
  return {
    deps,
    worker,
    metrics: { worker: servers[0]?.url, projections: servers[1]?.url, temporal: runtime.metricsUrl },
    traced: tracing !== undefined,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Temporal's runtime may have begun the shutdown itself on SIGTERM; a second call would throw.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await projections?.stop();
      await deps.close();
      await tracing?.shutdown().catch(() => undefined);
      await Promise.all(servers.map((s) => s?.close()));
    },
  };
}

/** The workflows' entry module, for replaying histories against the source (tests). */
export { WORKFLOWS_PATH } from './workflow-bundle.js';
