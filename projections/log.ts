import { pino, type DestinationStream, type Logger } from 'pino';
import { logLevelFromEnv } from '../infra/config.js';
import { redactSecrets } from '../adapters/redact.js';

/**
 * The projections' logger: JSON lines, level from TALLY_LOG_LEVEL (default info), secrets shown as ***.
 * @param destination @default stderr
 */
export function projectionsLogger(name = 'projections', destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ name, level: logLevelFromEnv(), formatters: { log: (fields) => redactSecrets(fields) } }, destination);
}
