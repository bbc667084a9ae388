// Builds the workflow bundle into the file named by argv[2] (written aside, then renamed, so that
// workers starting together never read half a file). Run by workflow-bundle.ts (a cached bundle
// for the sources) and by bin/build.mjs (dist/workflows.bundle.js, from the compiled workflows).
// With --otel, the OpenTelemetry workflow interceptors go into the bundle (a traced worker's).
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bundleWorkflowCode } from '@temporalio/worker';
import { TRACED_FLAG, WORKFLOWS_PATH } from './workflow-bundle.js';

const out = process.argv[2];
if (!out) throw new Error(`usage: build-workflow-bundle.ts OUT.js [${TRACED_FLAG}]`);
const traced = process.argv[3] === TRACED_FLAG;
const interceptors = traced ? { workflowInterceptorModules: [createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] } : {};
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...interceptors });
const temp = `${out}.${process.pid}.tmp`;
writeFileSync(temp, code);
renameSync(temp, out);
