import { describe, expect, it } from 'vitest';
import { sqlCallSites, uncovered } from '../../compat/call-sites.js';
import { compareAnswers, normalise, ordersRows } from '../../compat/compare.js';
import { projectFrames } from '../../compat/recording.js';

describe('comparing two ClickHouse versions\' answers', () => {
  it('orders rows only where the outermost query has ORDER BY', () => {
    expect(ordersRows('SELECT a FROM t ORDER BY a')).toBe(true);
    expect(ordersRows('SELECT * FROM (SELECT a FROM t ORDER BY a LIMIT 1 BY a) ORDER BY b')).toBe(true);
    expect(ordersRows('SELECT * FROM (SELECT a FROM t ORDER BY a LIMIT 1 BY a)')).toBe(false);
    expect(ordersRows("SELECT 'ORDER BY' AS s, `order by` FROM t -- ORDER BY x")).toBe(false);
    expect(ordersRows('SELECT argMax(a, (b, c)) FROM t GROUP BY d')).toBe(false);
  });

  it('reads 64-bit integers quoted or not, and the zero date in either spelling, as one value', () => {
    expect(normalise({ n: '6', b: 6, t: '0000-00-00 00:00:00', d: '0000-00-00', s: 'ML05', r: ['2', 3] })).toEqual({
      b: 6,
      d: '1970-01-01',
      n: 6,
      r: [2, 3],
      s: 'ML05',
      t: '1970-01-01 00:00:00',
    });
    expect(normalise('2019-07-31T00:00:00Z')).toBe('2019-07-31 00:00:00');
    expect(normalise('constructor')).toBe('constructor');
  });

  it('compares rows as a set without ORDER BY, and in order with it', () => {
    const a = '{"x":"1","y":"a"}\n{"x":"2","y":"b"}\n';
    const b = '{"y":"b","x":2}\n{"y":"a","x":1}\n';
    expect(compareAnswers('SELECT x, y FROM t', a, b)).toBeUndefined();
    expect(compareAnswers('SELECT x, y FROM t ORDER BY x', a, b)).toMatchObject({ ordered: true });
    expect(compareAnswers('SELECT x FROM t', '{"x":1}\n', '')).toEqual({ ordered: false, expected: ['{"x":1}'], found: [] });
    expect(compareAnswers('SELECT x FROM t', '{"x":0.1}\n', '{"x":0.10000000000000002}\n')).toBeDefined();
  });
});

describe('the SQL call sites of the project', () => {
  it('finds every call that sends SQL, and which ones a recording passed through', () => {
    const sites = sqlCallSites();
    const files = new Set(sites.map((s) => s.file));
    for (const f of ['adapters/clickhouse.ts', 'projections/migrations.ts', 'projections/rebuild.ts', 'activities/clickhouse.ts', 'web/server.ts', 'cli/report.ts']) {
      expect(files, f).toContain(f);
    }
    expect(sites.some((s) => s.file.startsWith('test/') || s.file.startsWith('bench/'))).toBe(false);
    const multi = sites.find((s) => s.to > s.from);
    expect(multi).toBeDefined();
    expect(uncovered([multi!], [[{ fn: 'f', file: multi!.file, line: multi!.to }]])).toEqual([]);
    expect(uncovered([multi!], [[{ fn: 'f', file: multi!.file, line: multi!.to + 1 }]])).toEqual([multi]);
  });

  it('keeps the project\'s frames of a stack, without node_modules and tests', () => {
    const stack = [
      'Error: where',
      '    at Recorder.query (/repo/test/compat/recording.ts:10:5)',
      '    at selectRows (/repo/adapters/clickhouse.ts:70:31)',
      '    at Object./api/areas (/repo/web/server.ts:49:27)',
      '    at async provenance (/repo/projections/queries.ts:217:30)',
      '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at Client.x (/repo/node_modules/@clickhouse/client/dist/client.js:1:1)',
    ].join('\n');
    expect(projectFrames(stack, '/repo')).toEqual([
      { fn: 'selectRows', file: 'adapters/clickhouse.ts', line: 70 },
      { fn: '/api/areas', file: 'web/server.ts', line: 49 },
      { fn: 'provenance', file: 'projections/queries.ts', line: 217 },
    ]);
  });
});
