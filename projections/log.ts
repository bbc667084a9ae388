import type { Logger } from 'pino';
import { jsonLogger } from '../adapters/log.js';
import { logLevelFromEnv } from '../infra/config.js';

/** The projections' logger: JSON lines on the process's log destination (stderr or TALLY_LOG_FILE), level from TALLY_LOG_LEVEL (default info). */
export function projectionsLogger(name = 'projections'): Logger {
  return jsonLogger(name, logLevelFromEnv());
}
