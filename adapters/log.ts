/**
 * Where this process's JSON log lines go: stderr, or one file (TALLY_LOG_FILE, `tally run`'s log).
 * Every writer of log lines (pino loggers, the alert log sink, Temporal's runtime logger, kafkajs)
 * writes through `logLine` or `logStream`, so one call to `logTo` moves them all, even loggers
 * created before it. Stdout is never used: it belongs to the commands' output.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { redactSecrets } from './redact.js';

let file: string | undefined;

/** Sends the log lines to `path` (appended, its directory created), or back to stderr when undefined. */
export function logTo(path: string | undefined): void {
  if (path === undefined) {
    file = undefined;
    return;
  }
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  file = absolute;
}

/** The log file in use, or undefined for stderr. */
export function logFile(): string | undefined {
  return file;
}

/** Writes one line (a newline is added when missing). Appends synchronously: a crash loses no line. */
export function logLine(line: string): void {
  const text = line.endsWith('\n') ? line : `${line}\n`;
  if (file === undefined) {
    process.stderr.write(text);
    return;
  }
  try {
    appendFileSync(file, text);
  } catch {
    process.stderr.write(text);
  }
}

/** A pino destination that follows `logTo`. */
export const logStream = { write: (chunk: string) => logLine(chunk) };

/** A JSON logger named `name` on the process's log destination. */
export function jsonLogger(name: string, level: LevelWithSilent, bindings: Record<string, unknown> = {}): Logger {
  const logger = pino({ name, level, formatters: { log: (fields) => redactSecrets(fields) } }, logStream);
  return Object.keys(bindings).length > 0 ? logger.child(bindings) : logger;
}
