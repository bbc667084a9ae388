/** TALLY_REBUILD_REPLAY: who replays the row topics in a rebuild on the engine path. */
import { describe, expect, it } from 'vitest';
import { configFromEnv, configToEnv, rebuildReplayFromEnv } from '../../../infra/config.js';
import type { StackSettings } from '../../../infra/stack/settings.js';

const stack = { provider: 'external', kafka: { brokers: ['127.0.0.1:1'], ssl: false }, temporal: { address: '127.0.0.1:2', namespace: 'default', tls: false }, clickhouse: { url: 'http://127.0.0.1:3', username: 'default', password: '', database: 'tally' } } as StackSettings;

describe('TALLY_REBUILD_REPLAY', () => {
  it('defaults to node, takes clickhouse, and refuses anything else', () => {
    expect(rebuildReplayFromEnv({})).toBe('node');
    expect(rebuildReplayFromEnv({ TALLY_REBUILD_REPLAY: ' clickhouse ' })).toBe('clickhouse');
    expect(() => rebuildReplayFromEnv({ TALLY_REBUILD_REPLAY: 'engine' })).toThrow('TALLY_REBUILD_REPLAY: expected "node" or "clickhouse", found "engine"');
  });

  it('travels to the processes a configuration starts', () => {
    expect(configFromEnv(stack, configToEnv(configFromEnv(stack, { TALLY_REBUILD_REPLAY: 'clickhouse' }))).rebuildReplay).toBe('clickhouse');
    expect(configFromEnv(stack, configToEnv(configFromEnv(stack, {}))).rebuildReplay).toBe('node');
  });
});
