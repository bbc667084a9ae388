import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityOptions } from '@temporalio/workflow';
import { atFailureBoundary, createActivities, toFailure, type ActivityDeps } from '../../../activities/index.js';
import {
  AlertRefusedError,
  ApiFetchError,
  DropNotLandedError,
  DropUnusableError,
  NoApiUrlError,
  NotProjectedYetError,
  ProjectionsBehindError,
  UnknownSourceError,
  type TallyError,
} from '../../../domain/errors.js';
import { SqlValueError } from '../../../adapters/sql.js';
import { QueryInputError } from '../../../projections/queries.js';
import { LandingStore } from '../../../connectors/landing.js';
import { loadProfiles } from '../../../connectors/profiles.js';
import * as options from '../../../workflows/options.js';
import { ApiRequestError } from '../../../domain/api-request.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await rejection(promise);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('toFailure', () => {
  it('makes a TallyError an ApplicationFailure with its type, retry flag, details and stack', () => {
    const err = new DropNotLandedError('ab12', '/land');
    const failure = toFailure(err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      message: 'drop ab12: expected its bytes in the landing store /land, found none',
      type: 'DropNotLanded',
      nonRetryable: true,
      details: [{ expected: 'its bytes in the landing store /land', found: 'none', where: { at: 'drop ab12' } }],
    });
    expect((failure as ApplicationFailure).stack).toBe(err.stack);
  });

  it('keeps a retryable TallyError retryable', () => {
    const failure = toFailure(new ApiFetchError('GET http://x/: HTTP 503', { url: 'http://x/', retryable: true, status: 503 }));
    expect(failure).toMatchObject({ type: 'ApiFetchFailed', nonRetryable: false });
    expect(toFailure(new ProjectionsBehindError('g', 3))).toMatchObject({ type: 'ProjectionsBehind', nonRetryable: false });
  });

  it('passes the cause on', () => {
    const cause = new Error('EIO');
    const err = new DropUnusableError('r.csv is not readable', 'r.csv', { cause });
    expect((toFailure(err) as ApplicationFailure).cause).toBe(cause);
  });

  it('leaves any other error alone', () => {
    const plain = new Error('ECONNRESET');
    expect(toFailure(plain)).toBe(plain);
    const failure = ApplicationFailure.retryable('already a failure', 'Custom');
    expect(toFailure(failure)).toBe(failure);
    expect(toFailure('a string')).toBe('a string');
  });
});

describe('atFailureBoundary', () => {
  const activities = atFailureBoundary({
    async refuse(name: string): Promise<string> {
      throw new NoApiUrlError(name);
    },
    async crash(): Promise<void> {
      throw new Error('socket hang up');
    },
    async answer(n: number): Promise<number> {
      return n + 1;
    },
  });

  it('keeps every activity and what it returns', async () => {
    expect(Object.keys(activities)).toEqual(['refuse', 'crash', 'answer']);
    await expect(activities.answer(41)).resolves.toBe(42);
  });

  it('turns a thrown TallyError into an ApplicationFailure, and lets other errors through', async () => {
    expect(await failureOf(activities.refuse('cmp'))).toMatchObject({ type: 'NoApiUrl', nonRetryable: true });
    const crash = await rejection(activities.crash());
    expect(crash).not.toBeInstanceOf(ApplicationFailure);
    expect(crash).toMatchObject({ message: 'socket hang up' });
  });

  it('wraps the activities the worker registers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-failures-'));
    const deps = {
      config: { landingDir: dir, alerts: { log: false }, projectionsGroup: 'g' },
      landing: new LandingStore(dir),
      profiles: loadProfiles(),
    } as unknown as ActivityDeps;
    const acts = createActivities(deps);
    expect(await failureOf(acts.ingestDrop({ dropId: 'a'.repeat(64), source: 'dtm' }))).toMatchObject({ type: 'DropNotLanded', nonRetryable: true });
    expect(await failureOf(acts.fetchSource({ source: 'cmp' }))).toMatchObject({ type: 'NoApiUrl', nonRetryable: true });
    expect(await failureOf(acts.fetchSource({ source: 'nosuch', url: 'http://127.0.0.1:9/' }))).toMatchObject({ type: 'UnknownSource', nonRetryable: true });
    expect(await failureOf(acts.fetchSource({ source: 'unhcr', request: { adminLevel: 1 } }))).toMatchObject({ type: 'ApiRequestInvalid', nonRetryable: true });
  });
});

describe('the workflows\' retry policies', () => {
  const errors: TallyError[] = [
    new DropUnusableError('m', 'f'),
    new ApiFetchError('m', { url: 'u', retryable: false }),
    new DropNotLandedError('d', 'l'),
    new UnknownSourceError('s', []),
    new NoApiUrlError('s'),
    new AlertRefusedError('m', 400, 'e'),
    new ProjectionsBehindError('g', 1),
    new NotProjectedYetError('e'),
    new SqlValueError('m', 'e', 'f'),
    new QueryInputError('m', 'f', 'x'),
    new ApiRequestError('s', '--admin-level', 'e', 'f'),
  ];

  it('list as never retried only types that TallyErrors have, and only non-retryable ones', () => {
    const nonRetryable = new Set(errors.filter((e) => e.nonRetryable).map((e) => e.type));
    const listed = Object.entries(options as Record<string, ActivityOptions>).flatMap(([name, o]) => (o.retry?.nonRetryableErrorTypes ?? []).map((type) => `${name}: ${type}`));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((entry) => !nonRetryable.has(entry.split(': ')[1]!))).toEqual([]);
  });

  it('do not list ApiFetchFailed, whose failures say themselves whether to retry', () => {
    expect(options.FETCH.retry?.nonRetryableErrorTypes).not.toContain('ApiFetchFailed');
  });
});
