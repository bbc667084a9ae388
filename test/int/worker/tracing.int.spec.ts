/**
 * With TALLY_OTEL_ENDPOINT set, a drop's workflows and activities reach an OTLP/HTTP receiver
 * (a local one here, on 127.0.0.1) as one trace: the workflow's span (from the traced workflow
 * bundle's interceptors, through the exporter sink) and the activities' spans under it.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';

interface Span {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
}

async function receiver(): Promise<{ url: string; spans: Span[]; server: Server }> {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const json = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Span[] }> }> };
      for (const r of json.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`, spans, server };
}

const DROP = join(mkdtempSync(join(tmpdir(), 'tally-trace-')), 'cmp-trace.csv');
writeFileSync(DROP, 'Région;Nombre de PDI;Date\nMopti;70 900;31/03/2020\n');

describe('tracing', () => {
  let otlp: Awaited<ReturnType<typeof receiver>>;
  let p: TestPipeline;

  beforeAll(async () => {
    otlp = await receiver();
    p = await startPipeline('tracing', { config: { otelEndpoint: otlp.url } });
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
    otlp?.server.close();
  });

  it("sends a drop's workflow and activity spans to the receiver, as one trace", async () => {
    expect(p.services!.traced).toBe(true);
    const summary = await p.ingest(DROP, 'cmp');
    expect(summary).toMatchObject({ rows: 1, accepted: 1 });
    const find = (name: string) => otlp.spans.find((s) => s.name === name && s.attributes.some((a) => a.value.stringValue === summary.workflowId));
    for (let i = 0; i < 100 && !(find('RunWorkflow:ingestDropWorkflow') && find('RunActivity:ingestDrop')); i++) await new Promise((r) => setTimeout(r, 200));
    const workflow = find('RunWorkflow:ingestDropWorkflow');
    const activity = find('RunActivity:ingestDrop');
    expect(workflow, otlp.spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(activity).toBeDefined();
    expect(activity!.traceId).toBe(workflow!.traceId);
    // The activity's parent is the workflow's StartActivity span, itself under the workflow's span.
    const start = otlp.spans.find((s) => s.spanId === activity!.parentSpanId);
    expect(start?.name).toBe('StartActivity:ingestDrop');
    expect(start?.parentSpanId).toBe(workflow!.spanId);
    // The reconcile child workflow and its activities are in the same trace.
    for (let i = 0; i < 50 && !otlp.spans.some((s) => s.traceId === workflow!.traceId && s.name === 'RunActivity:reconcileIndicators'); i++) await new Promise((r) => setTimeout(r, 200));
    const names = otlp.spans.filter((s) => s.traceId === workflow!.traceId).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['RunWorkflow:reconcileWorkflow', 'RunActivity:reconcileIndicators', 'RunActivity:awaitProjected']));
  });
});
