import { Command } from 'commander';
import { startStack, stopStackInDir, readStackState } from '../infra/stack/index.js';

const STACK_DIR = process.env.TALLY_STACK_DIR ?? '.tally/stack';

const program = new Command('tally').description('Migration Tally: reconciled migration figures for Mali');

program
  .command('up')
  .description('start the local engines')
  .option('--detach', 'leave them running after this command exits')
  .action(async (opts: { detach?: boolean }) => {
    const stack = await startStack({ dir: STACK_DIR, persistent: true, detach: opts.detach, temporalUi: true, log: (l) => console.log(l) });
    console.log(JSON.stringify(stack.settings, null, 2));
    if (opts.detach) return;
    console.log('engines running; press Ctrl-C to stop');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await stack.stop();
  });

program
  .command('down')
  .description('stop what `up --detach` started')
  .action(async () => {
    const stopped = await stopStackInDir(STACK_DIR);
    console.log(stopped ? 'engines stopped' : 'no engines were running');
  });

program
  .command('status')
  .description('engines and their addresses')
  .option('--json', 'print JSON')
  .action((opts: { json?: boolean }) => {
    const state = readStackState(STACK_DIR);
    if (opts.json) console.log(JSON.stringify({ running: Boolean(state), ...state }));
    else console.log(state ? `engines running since ${state.startedAt}\n${JSON.stringify(state.settings, null, 2)}` : 'no local engines running (tally up)');
  });

await program.parseAsync(process.argv);
