import { openClickHouse } from '../../adapters/clickhouse.js';
import { kafkaFrom } from '../../adapters/kafka.js';
import { connectTemporal } from '../../adapters/temporal.js';
import type { StackSettings } from './settings.js';

export interface WaitOptions {
  /** How long to keep trying. @default 90000 */
  timeoutMs?: number;
  /** Called with an error while the engine is not ready yet, to fail fast (e.g. the process exited). */
  abortIf?: () => string | undefined;
}

async function waitFor(what: string, probe: () => Promise<void>, { timeoutMs = 90_000, abortIf }: WaitOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const aborted = abortIf?.();
    if (aborted) throw new Error(`${what} did not start: ${aborted}`);
    try {
      await probe();
      return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} was not healthy after ${timeoutMs} ms: ${(lastError as Error)?.message ?? lastError}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

export function kafkaHealthy(kafka: StackSettings['kafka'], opts: WaitOptions = {}): Promise<void> {
  return waitFor(`Kafka at ${kafka.brokers.join(',')}`, async () => {
    const admin = kafkaFrom(kafka, 'tally-health', { retry: { retries: 0 }, silent: true }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no broker registered yet');
    } finally {
      await admin.disconnect();
    }
  }, opts);
}

export function temporalHealthy(temporal: StackSettings['temporal'], opts: WaitOptions = {}): Promise<void> {
  return waitFor(`Temporal at ${temporal.address}`, async () => {
    const connection = await connectTemporal(temporal, { connectTimeoutMs: 2000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: temporal.namespace });
    } finally {
      await connection.close();
    }
  }, opts);
}

export function clickhouseHealthy(clickhouse: StackSettings['clickhouse'], opts: WaitOptions = {}): Promise<void> {
  return waitFor(`ClickHouse at ${clickhouse.url}`, async () => {
    const client = await openClickHouse(clickhouse, { createDatabase: false, requestTimeoutMs: 2000 });
    try {
      const ping = await client.ping();
      if (!ping.success) throw ping.error;
    } finally {
      await client.close();
    }
  }, opts);
}
