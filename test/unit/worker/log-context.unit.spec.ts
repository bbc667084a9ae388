import type { Context } from '@temporalio/activity';
import { Headers } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { dropFields, dropLogInterceptors } from '../../../worker/log-context.js';
import { sdkLogLine } from '../../../worker/temporal-runtime.js';

describe("the drop's fields on the SDK's activity log lines", () => {
  it("are the dropId and source of the activity's input, when they are strings", () => {
    expect(dropFields([{ dropId: 'abc', source: 'cmp', other: 1 }])).toEqual({ dropId: 'abc', source: 'cmp' });
    expect(dropFields([{ offsets: {} }])).toEqual({});
    expect(dropFields([{ dropId: 3 }])).toEqual({});
    expect(dropFields([])).toEqual({});
  });

  it('are added to every log attribute set of the execution that received them', async () => {
    const { inbound, outbound } = dropLogInterceptors({} as Context);
    await inbound!.execute!({ args: [{ dropId: 'abc', source: 'dtm' }], headers: {} as Headers }, async () => 'done');
    expect(outbound!.getLogAttributes!({ workflowId: 'ingest-abc' }, (a) => a)).toEqual({ dropId: 'abc', source: 'dtm', workflowId: 'ingest-abc' });
  });
});

describe("the SDK's log lines", () => {
  it('are JSON lines like pino\'s: level as a word, time in ms, msg, and the meta (bigints as text)', () => {
    const line = sdkLogLine({ level: 'WARN', message: 'Activity failed', timestampNanos: 1_700_000_000_123_000_000n, meta: { workflowId: 'w', dropId: 'd', big: 5n } });
    expect(JSON.parse(line)).toEqual({ level: 'warn', time: 1_700_000_000_123, name: 'temporal', msg: 'Activity failed', workflowId: 'w', dropId: 'd', big: '5' });
  });
});
