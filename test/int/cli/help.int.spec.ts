/** Every `tally` command answers --help with its usage and exit 0, without needing the engines. */
import { describe, expect, it } from 'vitest';
import { lines, runTally, type TallyRun } from './harness.js';

const COMMANDS = [
  [],
  ['up'],
  ['down'],
  ['status'],
  ['ingest'],
  ['query'],
  ['discrepancies'],
  ['rejections'],
  ['schedule'],
  ['schedule', 'add'],
  ['schedule', 'list'],
  ['schedule', 'remove'],
  ['projections'],
  ['projections', 'rebuild'],
  ['run'],
  ['worker'],
];

describe('tally --help', () => {
  it('exits 0 with a usage line for every command', async () => {
    // No engine settings at all: help must not try to reach them.
    const env = { TALLY_STACK: '', KAFKA_BROKERS: '', TEMPORAL_ADDRESS: '', CLICKHOUSE_URL: '' };
    const runs: TallyRun[] = [];
    for (let i = 0; i < COMMANDS.length; i += 4) {
      runs.push(...(await Promise.all(COMMANDS.slice(i, i + 4).map((command) => runTally([...command, '--help'], env)))));
    }
    for (const [i, run] of runs.entries()) {
      const command = COMMANDS[i]!;
      expect(run.code, `tally ${command.join(' ')} --help: ${run.stderr}`).toBe(0);
      expect(run.stderr).toBe('');
      const usage = lines(run.stdout)[0];
      expect(usage).toMatch(new RegExp(`^Usage: tally${command.map((c) => ` ${c}`).join('')}\\b`));
      expect(run.stdout).toMatch(/--help\s+display help for command/);
    }
    // The contract's options are documented where users look for them.
    const help = (name: string) => runs[COMMANDS.findIndex((c) => c.join(' ') === name)]!.stdout;
    for (const option of ['--source <id>', '--url <url>', '--wait', '--json']) expect(help('ingest')).toContain(option);
    for (const option of ['--indicator <code>', '--area <pcode|name>', '--from <date>', '--to <date>', '--source <id>', '--as-of <datetime>', '--format <format>']) {
      expect(help('query')).toContain(option);
    }
    expect(help('query')).toMatch(/choices: "table", "json", "csv", "sdmx"/);
    for (const command of ['up', 'down', 'status', 'ingest', 'query', 'discrepancies', 'rejections', 'schedule', 'projections', 'run']) {
      expect(help('')).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
  });
});
