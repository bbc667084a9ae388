/**
 * A registry's metrics over HTTP: `GET /metrics` in Prometheus' text format, anything else 404.
 * One small node:http server per registry, on the host and port of the settings (0: a free port).
 * A port already in use is not fatal: the process runs without that endpoint and says so once
 * (a second worker on one machine with the default ports must still work).
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { addProcessMetrics } from '../adapters/metrics.js';

export interface MetricsServer {
  /** `http://host:port/metrics`, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/** `http://[::1]:9464/metrics` for IPv6 hosts, `http://127.0.0.1:9464/metrics` otherwise. */
export function metricsUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
}

/** Listens on host:port, or returns undefined (after calling `warn`) when the address is taken or refused. */
export async function startMetricsServer(
  registry: Registry,
  options: { host: string; port: number; name: string; warn?: (line: string) => void },
): Promise<MetricsServer | undefined> {
  addProcessMetrics(registry);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    (options.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(
      `tally: ${options.name} metrics: expected to listen on ${options.host}:${options.port}, found ${code}: this process exposes no ${options.name} metrics`,
    );
    return undefined;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: metricsUrl(options.host, port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold the close open.
        server.closeAllConnections();
      }),
  };
}

/** A free port on host right now (for Temporal's exporter, which cannot report the port it bound). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}
