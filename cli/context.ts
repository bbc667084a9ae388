/** Where the CLI finds the engines: existing clusters (TALLY_STACK=external) or the stack `tally up` started. */
import type { Client } from '@temporalio/client';
import { capText, RefusedError } from '../domain/errors.js';
import { readStackState, type StackSettings } from '../infra/stack/index.js';
import { configFromEnv, isExternalStack, settingsFromEnv, stackDirFromEnv, type TallyConfig } from '../infra/config.js';
import { redactText, secretValues } from '../adapters/redact.js';

/** Where `tally up` keeps the engines' state (TALLY_STACK_DIR). */
export const STACK_DIR = stackDirFromEnv();

/** Exit codes of the command-line contract. */
export const EXIT = { ok: 0, failure: 1, unusable: 2 } as const;

/** A command that cannot go on: the message is the one line the user reads, the exit code the contract's. */
export class CliError extends RefusedError {
  readonly type = 'CliRefused';

  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super({ message });
  }
}

export function resolveSettings(): StackSettings {
  if (isExternalStack()) return settingsFromEnv();
  const state = readStackState(STACK_DIR);
  if (!state) {
    throw new CliError(
      `no engines are running for this project (${STACK_DIR}): start them with 'tally up --detach', or set TALLY_STACK=external with KAFKA_BROKERS, TEMPORAL_ADDRESS and CLICKHOUSE_URL`,
    );
  }
  return state.settings;
}

export function resolveConfig(): TallyConfig {
  return configFromEnv(resolveSettings());
}

/** Loaded when a command needs it: the Temporal client is the heaviest part of the CLI to load. */
export async function temporalClient(config: TallyConfig): Promise<{ client: Client; close(): Promise<void> }> {
  const { temporalClient: clientFor } = await import('../adapters/temporal.js');
  return clientFor(config.stack.temporal);
}

/** Longest line the CLI prints for an error or a refused drop (docs/cli.md). */
export const MAX_LINE_CHARS = 300;

/** A message as the one line the user reads: newlines folded, at most `max` characters. */
export function oneLine(text: string, max = MAX_LINE_CHARS): string {
  return capText(text.replace(/\s*[\r\n]+\s*/g, ' ').trim(), max);
}

/**
 * What the user reads when a command fails, whatever failed: `tally: <message>` in one line of at
 * most MAX_LINE_CHARS, without the configuration's secrets, never a stack.
 */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return oneLine(`tally: ${redactText(message, knownSecrets())}`);
}

/** The secrets of this configuration, to cut out of an error line; none when it cannot be read. */
function knownSecrets(): string[] {
  try {
    return secretValues(resolveConfig());
  } catch {
    return [];
  }
}
