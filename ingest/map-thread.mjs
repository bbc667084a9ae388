// Entry point of a parse thread: threads do not inherit the TypeScript loader, so register it here.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('./map-thread.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('./map-thread.js', import.meta.url).href);
}
