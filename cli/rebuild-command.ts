/** `tally projections rebuild`, in a module of its own: it loads the rebuild and nothing else of the CLI. */
import { Presets, SingleBar } from 'cli-progress';
import { rebuildProjections } from '../projections/rebuild.js';
import { resolveConfig } from './context.js';

export async function rebuildCommand(): Promise<void> {
  const config = resolveConfig();
  const tty = process.stderr.isTTY;
  const bar = tty ? new SingleBar({ format: 'rebuild [{bar}] {value}/{total} events' }, Presets.shades_classic) : undefined;
  let started = false;
  let lastLine = 0;
  const result = await rebuildProjections({
    settings: config.stack,
    topicPrefix: config.topicPrefix,
    path: config.projectionPath,
    replay: config.rebuildReplay,
    onProgress: (consumed: number, total: number) => {
      if (bar) {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(consumed);
      } else if (Date.now() - lastLine > 1000 || consumed === total) {
        lastLine = Date.now();
        console.error(`rebuild: ${consumed}/${total} events`);
      }
    },
  });
  bar?.stop();
  console.log(`rebuilt the projections: ${JSON.stringify(result)}`);
}
