#!/usr/bin/env node
// Builds dist/ (bin/build.mjs) when it is missing or older than the sources it compiles, printing
// one line when it does and nothing otherwise. npm start, npm test, npm run bench and the
// integration tests' global setup run it, so that `tally` (bin/tally.mjs, which runs dist/) is
// always the code of the checkout.
import { buildIfStale } from './build.mjs';

try {
  await buildIfStale();
} catch (error) {
  console.error(`[build] ${error.message}`);
  process.exit(1);
}
