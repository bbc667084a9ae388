import { createServer, type Server } from 'node:http';
import { BasicTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interceptorOptions } from '../../../worker/services.js';
import { dropLogInterceptors } from '../../../worker/log-context.js';
import { AsyncContextManager, otlpExporter, SERVICE_NAME, workerTracing } from '../../../worker/tracing.js';

interface OtlpBody {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ scope: { name: string }; spans: Array<{ name: string; traceId: string; spanId: string; parentSpanId?: string }> }>;
  }>;
}

/** A local OTLP/HTTP receiver: keeps the JSON bodies posted to /v1/traces. */
async function receiver(): Promise<{ url: string; bodies: OtlpBody[]; server: Server }> {
  const bodies: OtlpBody[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(JSON.parse(body) as OtlpBody);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`, bodies, server };
}

describe('tracing', () => {
  let otlp: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    otlp = await receiver();
  });
  afterAll(() => {
    otlp?.server.close();
  });

  it('is off without TALLY_OTEL_ENDPOINT: the worker gets only the drop-fields interceptor, and no sink', () => {
    expect(workerTracing({})).toBeUndefined();
    const options = interceptorOptions(workerTracing({ otelEndpoint: undefined }));
    expect(options.interceptors?.activity).toEqual([dropLogInterceptors]);
    expect(options.sinks).toBeUndefined();
  });

  it("installs OpenTelemetry's activity interceptors and the workflow span sink when an endpoint is configured", async () => {
    const tracing = workerTracing({ otelEndpoint: otlp.url });
    expect(tracing).toBeDefined();
    const options = interceptorOptions(tracing);
    expect(options.interceptors?.activity).toHaveLength(2);
    expect(options.interceptors?.activity?.[0]).toBe(dropLogInterceptors);
    expect(Object.keys(options.sinks ?? {})).toEqual(['exporter']);
    await tracing!.shutdown();
  });

  it('carries spans of the 1.x tracer to an OTLP/HTTP receiver, parent and scope kept', async () => {
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(otlpExporter(otlp.url))] });
    const tracer = provider.getTracer('tally-test');
    const parent = tracer.startSpan('parent');
    const { trace, context } = await import('@opentelemetry/api');
    const child = tracer.startSpan('child', {}, trace.setSpan(context.active(), parent));
    child.end();
    parent.end();
    await provider.forceFlush();
    for (let i = 0; i < 50 && otlp.bodies.flatMap((b) => b.resourceSpans).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const spans = otlp.bodies.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ ...span, scope: s.scope.name })))));
    const p = spans.find((s) => s.name === 'parent')!;
    const c = spans.find((s) => s.name === 'child')!;
    expect(p.scope).toBe('tally-test');
    expect(c.traceId).toBe(p.traceId);
    expect(c.parentSpanId).toBe(p.spanId);
    await provider.shutdown();
  });

  it('keeps the active context along an async call chain (what makes an activity span a child)', async () => {
    const { ROOT_CONTEXT, createContextKey } = await import('@opentelemetry/api');
    const key = createContextKey('k');
    const manager = new AsyncContextManager();
    const inner = await manager.with(ROOT_CONTEXT.setValue(key, 'drop'), async () => {
      await new Promise((r) => setTimeout(r, 5));
      return manager.active().getValue(key);
    });
    expect(inner).toBe('drop');
    expect(manager.active()).toBe(ROOT_CONTEXT);
    const bound = manager.bind(ROOT_CONTEXT.setValue(key, 'bound'), () => manager.active().getValue(key));
    expect(bound()).toBe('bound');
  });

  it("exports a workflow's spans from the sink with the service name and the workflow's info", async () => {
    const exported: ReadableSpan[] = [];
    const memory: SpanExporter = {
      export: (spans, done) => {
        exported.push(...spans);
        done({ code: 0 });
      },
      shutdown: async () => undefined,
    };
    const tracing = workerTracing({}, { exporter: memory })!;
    const sink = (tracing.sinks as unknown as { exporter: { export: { fn: (info: Record<string, unknown>, spans: unknown[]) => void } } }).exporter;
    const now: [number, number] = [Math.floor(Date.now() / 1000), 0];
    sink.export.fn({ workflowId: 'ingest-abc', workflowType: 'ingestDropWorkflow' }, [
      {
        name: 'RunWorkflow:ingestDropWorkflow',
        kind: 0,
        spanContext: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 },
        startTime: now,
        endTime: now,
        status: { code: 0 },
        attributes: {},
        links: [],
        events: [],
        duration: [0, 0],
        ended: true,
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
        instrumentationLibrary: { name: '@temporalio/interceptor-workflow' },
      },
    ]);
    await tracing.shutdown();
    const [span] = exported;
    expect(span?.name).toBe('RunWorkflow:ingestDropWorkflow');
    expect(span?.attributes).toMatchObject({ workflowId: 'ingest-abc' });
    expect(span?.resource.attributes['service.name']).toBe(SERVICE_NAME);
  });
});
