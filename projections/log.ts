import { pino, type DestinationStream, type Logger } from 'pino';
import { jsonLogger } from '../adapters/log.js';
import { logLevelFromEnv } from '../infra/config.js';
import { redactSecrets } from '../adapters/redact.js';

/**
 * The projections' logger: JSON lines on the process's log destination (stderr or TALLY_LOG_FILE),
 * level from TALLY_LOG_LEVEL (default info), secrets shown as ***.
 * @param destination another stream (tests) @default the process's log destination
 */
export function projectionsLogger(name = 'projections', destination?: DestinationStream): Logger {
  if (destination) return pino({ name, level: logLevelFromEnv(), formatters: { log: (fields) => redactSecrets(fields) } }, destination);
  return jsonLogger(name, logLevelFromEnv());
}
