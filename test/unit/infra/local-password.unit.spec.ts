/**
 * The local stack's ClickHouse writer has a generated password (it had none): kept as a SHA-256
 * in users.xml, kept in the stack's state for the CLI and the worker, owner-readable only. The
 * analyst stays read-only.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clickhouseUsers } from '../../../infra/stack/configs.js';
import { localSettings, writerPassword } from '../../../infra/stack/local.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tally-secrets-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PORTS = { kafka: 1, controller: 2, temporal: 3, temporalUi: 4, clickhouseHttp: 5, clickhouseTcp: 6 };

describe('the local writer password', () => {
  it('is generated, long, and different for each stack directory (a throw-away stack wipes its own)', () => {
    const other = mkdtempSync(join(tmpdir(), 'tally-secrets-'));
    try {
      const a = writerPassword(dir);
      expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(writerPassword(other)).not.toBe(a);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('is kept across starts and engine restarts, in a file only its owner reads', () => {
    const first = writerPassword(dir);
    expect(writerPassword(dir)).toBe(first);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('is in the stack settings the CLI and the worker connect with', () => {
    const settings = localSettings(PORTS, false, 'generated-password-123');
    expect(settings.clickhouse).toMatchObject({ username: 'default', password: 'generated-password-123', analyst: { username: 'analyst', password: 'analyst' } });
  });

  it('reaches users.xml as its SHA-256 only; the analyst keeps its read-only profile', () => {
    const xml = clickhouseUsers('generated-password-123');
    expect(xml).not.toContain('generated-password-123');
    expect(xml).toContain(`<default><password_sha256_hex>${createHash('sha256').update('generated-password-123').digest('hex')}</password_sha256_hex>`);
    expect(xml).not.toMatch(/<default><password><\/password>/);
    expect(xml).toMatch(/<analyst><readonly>2<\/readonly>/);
    expect(xml).toMatch(/<analyst><password>analyst<\/password><networks><ip>127\.0\.0\.1<\/ip><ip>::1<\/ip><\/networks><profile>analyst<\/profile>/);
  });

  it('is never empty', () => {
    expect(() => clickhouseUsers('')).toThrow(/expected a generated password for the writer/);
  });
});
