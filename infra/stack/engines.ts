import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { tallyHomeFromEnv } from '../config.js';

const Manifest = z.object({
  kafka: z.object({ version: z.string(), libs: z.string(), java: z.string() }),
  temporal: z.object({ bin: z.string() }),
  clickhouse: z.object({ bin: z.string() }),
});
export type EngineManifest = z.infer<typeof Manifest>;

/** Where the installer keeps engines and their manifest. @default ~/.cache/migration-tally */
export function tallyHome(): string {
  return tallyHomeFromEnv();
}

/** Reads the manifest that infra/install.sh writes; says what to run when it is missing. */
export function readEngineManifest(): EngineManifest {
  const file = join(tallyHome(), 'engines.json');
  if (!existsSync(file)) {
    throw new Error(`engine manifest not found at ${file}: run 'npm run engines:install' (infra/install.sh) first`);
  }
  const parsed = Manifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`engine manifest ${file} is not valid (${parsed.error.issues.map((i) => i.path.join('.') + ': ' + i.message).join('; ')}): run 'npm run engines:install' again`);
  }
  return parsed.data;
}
