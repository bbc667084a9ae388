import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './smoke-activities.js';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function greetWorkflow(name: string): Promise<string> {
  return greet(name);
}
