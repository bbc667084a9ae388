/**
 * OpenTelemetry tracing of the worker, through Temporal's interceptors, when TALLY_OTEL_ENDPOINT
 * names an OTLP/HTTP receiver (off otherwise: no interceptor, no sink, no exporter). Workflows
 * trace in their sandbox (the OpenTelemetry workflow interceptors are in the traced workflow
 * bundle, see workflow-bundle.ts) and hand their spans to the `exporter` sink; activities trace
 * here, as children of the workflow span that scheduled them. One trace per drop: ingestDrop,
 * awaitProjected, the reconcile child workflow and its activities.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context, type ContextManager, type SpanContext } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor, type TracerConfig } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { TallyConfig } from '../infra/config.js';

/** What a traced worker adds to its options, and how to flush the spans at its end. */
export interface WorkerTracing {
  activityInterceptors: ActivityInterceptorsFactory[];
  sinks: InjectedSinks<Record<string, never>>;
  /** Exports the spans still buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

export const SERVICE_NAME = 'migration-tally';

type OtlpSpan = Parameters<OTLPTraceExporter['export']>[0][number];

/**
 * The OTLP exporter is of OpenTelemetry's SDK 2.x, the tracer (what Temporal's interceptors are
 * built on) of 1.x: a span of 1.x names its scope `instrumentationLibrary` and its parent by
 * `parentSpanId` only. This carries 1.x spans over in the shape the exporter reads.
 */
export function asOtlpSpan(span: ReadableSpan): OtlpSpan {
  const old = span as ReadableSpan & { instrumentationScope?: OtlpSpan['instrumentationScope']; parentSpanContext?: SpanContext };
  const context = span.spanContext();
  const parentSpanContext =
    old.parentSpanContext ?? (span.parentSpanId ? { traceId: context.traceId, spanId: span.parentSpanId, traceFlags: context.traceFlags } : undefined);
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => context,
    parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: span.attributes,
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource as unknown as OtlpSpan['resource'],
    instrumentationScope: old.instrumentationScope ?? span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount ?? 0,
    droppedEventsCount: span.droppedEventsCount ?? 0,
    droppedLinksCount: span.droppedLinksCount ?? 0,
  };
}

/**
 * The active context per async call chain (what @opentelemetry/context-async-hooks does, in a few
 * lines): without one, an activity's span would not find the workflow's span as its parent.
 */
export class AsyncContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(context, () => fn.call(thisArg, ...args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]): unknown => this.with(context, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** An OTLP/HTTP exporter (JSON) to `url` that takes the 1.x spans of the tracer. */
export function otlpExporter(url: string): SpanExporter {
  const exporter = new OTLPTraceExporter({ url });
  return {
    export: (spans, done) => exporter.export(spans.map(asOtlpSpan), done),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}

/**
 * The tracing of a worker with this configuration, or undefined when tracing is off
 * (no TALLY_OTEL_ENDPOINT). `exporter` replaces the OTLP exporter (tests).
 */
export function workerTracing(config: Pick<TallyConfig, 'otelEndpoint'>, options: { exporter?: SpanExporter } = {}): WorkerTracing | undefined {
  if (!config.otelEndpoint && !options.exporter) return undefined;
  const processor: SpanProcessor = new BatchSpanProcessor(options.exporter ?? otlpExporter(config.otelEndpoint!), { scheduledDelayMillis: 1000 });
  // A plain object stands for the resource: 1.x merges its attributes into its default resource.
  const resource = { attributes: { 'service.name': SERVICE_NAME } } as unknown as TracerConfig['resource'];
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  // Global, as tracing is per process: the activity interceptors read the workflow's span from
  // the activity's headers through the global propagator (W3C trace context), and make it the
  // parent through the global context manager.
  provider.register({ contextManager: new AsyncContextManager() });
  const tracer = provider.getTracer('@temporalio/interceptor-activity');
  return {
    activityInterceptors: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    sinks: { exporter: makeWorkflowExporter(processor, provider.resource) } as unknown as InjectedSinks<Record<string, never>>,
    shutdown: () => provider.shutdown(),
  };
}
