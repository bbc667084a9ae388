import { createServer } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { freePort, metricsUrl, startMetricsServer } from '../../../worker/metrics-server.js';

describe('the metrics server', () => {
  it('serves the registry at /metrics on a free port, with process metrics, and 404 elsewhere', async () => {
    const registry = new Registry();
    new Counter({ name: 'tally_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    const server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0, name: 'worker' });
    try {
      expect(server!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const response = await fetch(server!.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(registry.contentType);
      const text = await response.text();
      expect(text).toContain('tally_test_total 3');
      expect(text).toContain('process_resident_memory_bytes');
      expect((await fetch(server!.url.replace('/metrics', '/other'))).status).toBe(404);
      expect((await fetch(server!.url, { method: 'POST' })).status).toBe(404);
    } finally {
      await server?.close();
    }
  });

  it('runs without the endpoint when the port is taken, saying so in one line', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const warnings: string[] = [];
    try {
      const server = await startMetricsServer(new Registry(), { host: '127.0.0.1', port, name: 'projections', warn: (l) => warnings.push(l) });
      expect(server).toBeUndefined();
      expect(warnings).toEqual([`tally: projections metrics: expected to listen on 127.0.0.1:${port}, found EADDRINUSE: this process exposes no projections metrics`]);
    } finally {
      taken.close();
    }
  });

  it('names IPv6 hosts in brackets and finds free ports', async () => {
    expect(metricsUrl('::1', 9464)).toBe('http://[::1]:9464/metrics');
    expect(metricsUrl('127.0.0.1', 9465)).toBe('http://127.0.0.1:9465/metrics');
    expect(await freePort('127.0.0.1')).toBeGreaterThan(0);
  });
});
