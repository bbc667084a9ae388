/** The worker's native Temporal connection (kept apart from temporal.ts: it loads the SDK's native core). */
import { NativeConnection } from '@temporalio/worker';
import type { TemporalSettings } from './settings.js';

export function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({ address: settings.address, tls: settings.tls || undefined });
}
