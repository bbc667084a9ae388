/**
 * The pipeline's long-running parts in one process: the Temporal worker (workflows and activities)
 * and the ClickHouse projections (a Kafka consumer group). Several such processes can share one
 * task queue and one consumer group: nothing here keeps state another process would not see.
 */
import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { connectWorker } from '../adapters/temporal-worker.js';
import { createActivities, createActivityDeps, type ActivityDeps } from '../activities/index.js';
import { startProjections } from '../projections/runner.js';
import { workerLogLevelFromEnv, type TallyConfig } from '../infra/config.js';
import { workflowBundlePath } from './workflow-bundle.js';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(workerLogLevelFromEnv()) });
  } catch {
    // already installed by this process (tests)
  }
}

export interface RunningServices {
  deps: ActivityDeps;
  worker: Worker;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Run the projections consumer in this process. @default true */
  projections?: boolean;
  /** A workflow bundle; by default the cached one for the current workflow code (see workflow-bundle.ts). */
  workflowBundle?: { code: string } | { codePath: string };
}

export async function startServices(config: TallyConfig, options: ServiceOptions = {}): Promise<RunningServices> {
  quietRuntime();
  const deps = await createActivityDeps(config);
  const projections =
    options.projections === false
      ? undefined
      : await startProjections({ settings: config.stack, topicPrefix: config.topicPrefix, groupId: config.projectionsGroup });
  const connection = await connectWorker(config.stack.temporal);
  const worker = await Worker.create({
    connection,
    namespace: config.stack.temporal.namespace,
    taskQueue: config.taskQueue,
    workflowBundle: options.workflowBundle ?? { codePath: await workflowBundlePath() },
    activities: createActivities(deps),
    // A drop is a handful of workflows; the default cache scales with the heap and holds far more.
    maxCachedWorkflows: 100,
  });
  const running = worker.run();
  let stopped = false;
  return {
    deps,
    worker,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Temporal's runtime may have begun the shutdown itself on SIGTERM; a second call would throw.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await projections?.stop();
      await deps.close();
    },
  };
}

/** The workflows' entry module, for replaying histories against the source (tests). */
export { WORKFLOWS_PATH } from './workflow-bundle.js';
