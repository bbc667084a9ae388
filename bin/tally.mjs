#!/usr/bin/env node
// The `tally` command: the compiled CLI in dist/ (`npm run build`; npm start and npm test build it
// when it is missing or stale). tsx is for development and tests only.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/tally.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error("tally: expected the compiled CLI in dist/cli/tally.js, found no build: run 'npm run build' first");
  process.exit(1);
}
await import(entry.href);
