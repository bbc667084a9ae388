// Starts a local stack in the directory given as argv[2], prints "ready", then waits to be killed.
import { LocalStack } from '../../infra/stack/local.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: stack-child.ts DIR');
await LocalStack.start({ dir });
console.log('ready');
setInterval(() => undefined, 60_000);
