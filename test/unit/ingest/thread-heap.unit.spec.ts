import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { processSemiSpaceMb, startThreads, THREAD_SEMI_SPACE_MB } from '../../../ingest/thread-heap.js';

describe('the young generation of parse threads', () => {
  it("reads the process's --max-semi-space-size from NODE_OPTIONS and the command line, the command line last", () => {
    expect(processSemiSpaceMb([], '')).toBeUndefined();
    expect(processSemiSpaceMb(['--max-old-space-size=192'], '--enable-source-maps')).toBeUndefined();
    expect(processSemiSpaceMb([], '--max-old-space-size=192 --max-semi-space-size=8')).toBe(8);
    expect(processSemiSpaceMb(['--max_semi_space_size=16'], '--max-semi-space-size=8')).toBe(16);
  });

  it('starts the threads with small semi-spaces and puts the process value back once every thread is online or gone', () => {
    const flags: string[] = [];
    const threads = [new EventEmitter(), new EventEmitter()];
    const started = startThreads(() => threads, 8, (f) => flags.push(f));
    expect(started).toBe(threads);
    expect(flags).toEqual([`--max-semi-space-size=${THREAD_SEMI_SPACE_MB}`]);
    threads[0]!.emit('online');
    threads[0]!.emit('exit');
    expect(flags).toHaveLength(1); // one thread's isolate may not exist yet
    threads[1]!.emit('exit'); // died before it ran: counted once
    expect(flags).toEqual([`--max-semi-space-size=${THREAD_SEMI_SPACE_MB}`, '--max-semi-space-size=8']);
  });

  it('changes nothing when the process sets no semi-space (the threads keep their resource limits), and restores on a failed start', () => {
    const flags: string[] = [];
    startThreads(() => [new EventEmitter()], undefined, (f) => flags.push(f));
    expect(flags).toEqual([]);
    expect(() =>
      startThreads(
        () => {
          throw new Error('no thread');
        },
        8,
        (f) => flags.push(f),
      ),
    ).toThrow('no thread');
    expect(flags).toEqual([`--max-semi-space-size=${THREAD_SEMI_SPACE_MB}`, '--max-semi-space-size=8']);
  });
});
