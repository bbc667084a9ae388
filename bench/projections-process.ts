/**
 * The projections alone, in a process of their own so that the benchmark can read their peak RSS.
 * Configured like `tally worker` (TALLY_STACK=external, engine URLs, TALLY_TOPIC_PREFIX,
 * TALLY_PROJECTIONS_GROUP, CLICKHOUSE_DATABASE, TALLY_PROJECTION_PATH); prints "ready" once consuming; SIGTERM stops it.
 */
import { configFromEnv, settingsFromEnv } from '../infra/config.js';
import { startProjections } from '../projections/runner.js';

const config = configFromEnv(settingsFromEnv());
const projections = await startProjections({ settings: config.stack, topicPrefix: config.topicPrefix, groupId: config.projectionsGroup, path: config.projectionPath });
console.log('ready');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  projections.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
