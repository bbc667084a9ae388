// Builds the workflow bundle into the file named by argv[2] (written aside, then renamed, so that
// workers starting together never read half a file). Run by workflow-bundle.ts (a cached bundle
// for the sources) and by bin/build.mjs (dist/workflows.bundle.js, from the compiled workflows).
import { renameSync, writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from './workflow-bundle.js';

const out = process.argv[2];
if (!out) throw new Error('usage: build-workflow-bundle.ts OUT.js');
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
const temp = `${out}.${process.pid}.tmp`;
writeFileSync(temp, code);
renameSync(temp, out);
