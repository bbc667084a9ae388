import { pino, type Logger } from 'pino';
import { logLevelFromEnv } from '../infra/config.js';

/** The projections' logger: JSON lines on stderr, level from TALLY_LOG_LEVEL (default info). */
export function projectionsLogger(name = 'projections'): Logger {
  return pino({ name, level: logLevelFromEnv() }, pino.destination(2));
}
