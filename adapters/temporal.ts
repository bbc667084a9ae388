/** Temporal connections from the stack settings (address, namespace, TLS): the one place that dials Temporal. */
import { Client, Connection } from '@temporalio/client';
import type { TemporalSettings } from './settings.js';

export function connectTemporal(settings: TemporalSettings, options: { connectTimeoutMs?: number } = {}): Promise<Connection> {
  return Connection.connect({ address: settings.address, tls: settings.tls || undefined, connectTimeout: options.connectTimeoutMs });
}

/** A workflow client on the settings' namespace; `close` closes its connection. */
export async function temporalClient(settings: TemporalSettings): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await connectTemporal(settings);
  return { client: new Client({ connection, namespace: settings.namespace }), close: () => connection.close() };
}
