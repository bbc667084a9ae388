/**
 * The `tally` command, the user's door. Its commands and exit codes are a fixed contract
 * (docs/cli.md): 0 done, 1 failed, 2 the drop is unusable as a whole.
 */
import { Command, Option } from 'commander';
import { applyWorkerRuntime } from '../worker/runtime.js';

// `tally worker` first re-executes itself with the worker's runtime settings (worker/runtime.ts),
// before the rest of the CLI is loaded: the process that waits for it stays small.
if (process.argv[2] === 'worker') await applyWorkerRuntime();

const { CliError, EXIT, errorLine } = await import('./context.js');

type Action = (...args: never[]) => Promise<void> | void;
/**
 * A command's action, loaded when the command runs: each module brings its own clients (Temporal,
 * ClickHouse, Kafka), and a command loads only its own (`projections rebuild` starts 0.3-0.5 s sooner).
 */
function lazy<M>(load: () => Promise<M>, pick: (m: M) => Action) {
  return async (...args: unknown[]): Promise<void> => {
    await (pick(await load()) as (...a: unknown[]) => Promise<void> | void)(...args);
  };
}
const stack = () => import('./stack-commands.js');
const commands = () => import('./commands.js');
const upCommand = lazy(stack, (m) => m.upCommand);
const downCommand = lazy(stack, (m) => m.downCommand);
const statusCommand = lazy(stack, (m) => m.statusCommand);
const explorerCommand = lazy(stack, (m) => m.explorerCommand);
const projectionsRunCommand = lazy(stack, (m) => m.projectionsRunCommand);
const serveCommand = lazy(stack, (m) => m.serveCommand);
const workerCommand = lazy(stack, (m) => m.workerCommand);
const ingestCommand = lazy(commands, (m) => m.ingestCommand);
const queryCommand = lazy(commands, (m) => m.queryCommand);
const discrepanciesCommand = lazy(commands, (m) => m.discrepanciesCommand);
const rejectionsCommand = lazy(commands, (m) => m.rejectionsCommand);
const runCommand = lazy(commands, (m) => m.runCommand);
const scheduleAddCommand = lazy(commands, (m) => m.scheduleAddCommand);
const scheduleListCommand = lazy(commands, (m) => m.scheduleListCommand);
const scheduleRemoveCommand = lazy(commands, (m) => m.scheduleRemoveCommand);
const rebuildCommand = lazy(() => import('./rebuild-command.js'), (m) => m.rebuildCommand);

const program = new Command('tally')
  .description('Migration Tally: migration figures for Mali from disagreeing sources, reconciled')
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) });

program
  .command('up')
  .description('start the local engines, and the worker, the projections and the explorer under a supervisor')
  .option('--detach', 'run them in the background; stop them with tally down')
  .option('--port <port>', 'port of the explorer and the read-only API', '8765')
  .action(upCommand);

program.command('down').description('stop what `tally up --detach` started').action(downCommand);

program.command('status').description('engines, worker, consumer lag and the last drops').option('--json', 'print one JSON object').action(statusCommand);

program
  .command('ingest')
  .description('ingest drops: files, an API response with --url, or with neither the request an API source (dtm, unhcr) builds for --country')
  .argument('[files...]', 'CSV, XLSX or JSON drops')
  .requiredOption('--source <id>', 'source profile id (dtm, cmp, mmeia, instat, iom-avr, unhcr, or your own)')
  .option('--url <url>', 'fetch an API source instead of reading files')
  .option('--country <iso3>', 'country of rows that do not say theirs (default: the profile, else MLI); a row of another country is rejected')
  .option('--wait', 'return once the figures are queryable and reconciled')
  .option('--json', 'print one JSON object per drop')
  .option('--admin-level <n>', 'API sources: the admin level asked for (dtm: 0, 1 or 2; default 1)')
  .option('--from <date>', 'API sources: the first reporting date (dtm, YYYY-MM-DD) or year (unhcr)')
  .option('--to <date>', 'API sources: the last reporting date or year')
  .option('--operation <name>', 'API sources: one operation (dtm, e.g. "Lake Chad Basin Crisis")')
  .option('--from-round <n>', 'API sources: the first round (dtm)')
  .option('--to-round <n>', 'API sources: the last round (dtm)')
  .action(ingestCommand);

program
  .command('query')
  .description('figures for an indicator: reconciled, or one source with --source')
  .requiredOption('--indicator <code>', 'indicator code, e.g. idps')
  .option('--country <iso3>', "only this country's figures (MLI, TCD…); names in --area are matched there")
  .option('--area <pcode|name>', 'a P-code (ML05, TD07) or a place name (Mopti; in another country with --country)')
  .option('--from <date>', 'first reference date, YYYY-MM-DD')
  .option('--to <date>', 'last reference date, YYYY-MM-DD')
  .option('--source <id>', "one source's figures instead of the reconciled ones")
  .option('--as-of <datetime>', 'as known on this date/time (ISO)')
  .option('--disaggregation <kv>', 'a disaggregated series instead of the totals, as key=value: origin=BFA, sex=f, "operation=Mali Conflict" (several joined by commas)')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv', 'sdmx']).default('table'))
  .action(queryCommand);

program.command('discrepancies').description('discrepancies between sources, with their causes').option('--open', 'only open ones').option('--json', 'print JSON').action(discrepanciesCommand);

program.command('rejections').description('rejected rows with their reasons').option('--drop <id>', 'one drop (id or prefix)').option('--json', 'print JSON').action(rejectionsCommand);

const schedule = program.command('schedule').description('Temporal Schedules that poll API sources');
schedule
  .command('add')
  .description('poll a source on a fixed interval')
  .requiredOption('--source <id>', 'source profile id with an API url')
  .requiredOption('--every <interval>', 'interval such as 1d, 6h, 30m')
  .option('--url <url>', 'override the profile API url')
  .option('--country <iso3>', 'the country asked for (default MLI)')
  .option('--admin-level <n>', 'the admin level asked for (dtm: 0, 1 or 2)')
  .option('--from <date>', 'the first reporting date (dtm) or year (unhcr)')
  .option('--to <date>', 'the last reporting date or year')
  .option('--operation <name>', 'one operation (dtm)')
  .option('--from-round <n>', 'the first round (dtm)')
  .option('--to-round <n>', 'the last round (dtm)')
  .action(scheduleAddCommand);
schedule.command('list').description('list the polling schedules').option('--json', 'print JSON').action(scheduleListCommand);
schedule
  .command('remove')
  .description('remove the schedule of a source (with the options it was added with)')
  .requiredOption('--source <id>', 'source profile id')
  .option('--country <iso3>', 'the country it asks for')
  .option('--admin-level <n>', 'the admin level it asks for')
  .option('--from <date>', 'its first date or year')
  .option('--to <date>', 'its last date or year')
  .option('--operation <name>', 'its operation')
  .option('--from-round <n>', 'its first round')
  .option('--to-round <n>', 'its last round')
  .action(scheduleRemoveCommand);

const projections = program.command('projections').description('the ClickHouse projections of the event log');
projections.command('run').description('run the projections alone (the worker without them: tally worker --no-projections)').action(projectionsRunCommand);
projections.command('rebuild').description('replay the Kafka log into fresh tables, then switch over').action(rebuildCommand);

program
  .command('explorer')
  .description('serve the read-only explorer and its API')
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--port <port>', 'port', '8765')
  .action(explorerCommand);

program
  .command('run')
  .description('the main job: ingest every drop in DIR with the local engines, wait, print the report')
  .argument('[dir]', 'directory of drops', 'examples/mali')
  .option('--keep', 'leave the engines, worker and projections running afterwards')
  .option('--json', 'print the drops summary as JSON after the report')
  .action(runCommand);

program.command('worker').description('run the Temporal worker (workflows and activities) until interrupted').option('--no-projections', 'do not run the projections in this process').action(workerCommand);

program.command('serve', { hidden: true }).description('the supervisor of the worker, projections and explorer, for `up --detach`').option('--port <port>', 'explorer port', '8765').action(serveCommand);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(errorLine(err));
  process.exit(err instanceof CliError ? err.exitCode : EXIT.failure);
}
