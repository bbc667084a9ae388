import { pino, type Logger } from 'pino';

/** The projections' logger: JSON lines on stderr, level from TALLY_LOG_LEVEL (default info). */
export function projectionsLogger(name = 'projections'): Logger {
  return pino({ name, level: process.env.TALLY_LOG_LEVEL ?? 'info' }, pino.destination(2));
}
