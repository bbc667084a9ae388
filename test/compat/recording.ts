/**
 * A recording wrapper around @clickhouse/client's ClickHouseClient: every query, command, insert
 * and exec the project sends is kept in order, with the client's database and settings, the rows
 * of each insert, the text the server answered to each query, and the project frames (function,
 * file, line) that sent it. Install it with `vi.mock('@clickhouse/client', …)` (see
 * test/int/compat/clickhouse-current.int.spec.ts) so that every client the project opens, through
 * openClickHouse or not, is recorded.
 *
 * This module imports only types from @clickhouse/client: the mock factory hands it the real
 * ResultSet, so it never loads the module it is mocking.
 */
import { Readable } from 'node:stream';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ClickHouseClient,
  ClickHouseClientConfigOptions,
  CommandParams,
  DataFormat,
  ExecParams,
  InsertParams,
  QueryParams,
  ResultSet,
} from '@clickhouse/client';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type StatementKind = 'query' | 'command' | 'insert' | 'exec';

/** A frame of the project's own code (not node_modules, not test/) on the stack that sent a statement. */
export interface Frame {
  fn: string;
  /** Relative to the repository root, with forward slashes. */
  file: string;
  line: number;
}

export interface RecordedStatement {
  /** Order of completion (the order the server applied them in). */
  seq: number;
  kind: StatementKind;
  /** The client's default database ('default' when it names none). */
  database: string;
  /** The statement text; for an insert, `INSERT INTO <table> FORMAT <format>` (the client's own form). */
  sql: string;
  /** Settings sent with it: the client's, then the call's. */
  settings: Record<string, unknown>;
  /** Query: the response format; insert: the input format. */
  format?: string;
  /** Insert: the table as the client was given it, and the rows. */
  table?: string;
  rows?: unknown[];
  /** Exec with data (an insert of bytes as they are): the data sent. */
  body?: string;
  /** Query: the response text of the server the test runs against. */
  answer?: string;
  /** The server's refusal, when it refused. */
  error?: string;
  /** The scenario step that was running (set by the test), for messages. */
  step: string;
  frames: Frame[];
}

type Settings = Record<string, unknown>;

/** Makes a ResultSet over text already read, so the caller reads it as if from the server. */
export type ResultSetFactory = (text: string, format: DataFormat, rs: ResultSet<unknown>) => ResultSet<unknown>;

export function resultSetFactory(RS: typeof ResultSet): ResultSetFactory {
  return (text, format, rs) =>
    RS.instance({
      stream: Readable.from(text === '' ? [] : [Buffer.from(text, 'utf8')]),
      format,
      query_id: rs.query_id,
      response_headers: rs.response_headers,
      log_error: () => undefined,
    }) as ResultSet<unknown>;
}

const FRAME = /^\s*at (?:async )?(?:(.*?) \()?(?:file:\/\/)?(\/[^():]+):(\d+):\d+\)?$/;

/** The project's frames of a stack, innermost first. */
export function projectFrames(stack: string | undefined, root = REPO_ROOT): Frame[] {
  const frames: Frame[] = [];
  for (const text of (stack ?? '').split('\n').slice(1)) {
    const m = FRAME.exec(text);
    if (!m) continue;
    const file = relative(root, m[2]!).split(sep).join('/');
    if (file.startsWith('..') || file.includes('node_modules/') || file.startsWith('test/')) continue;
    const name = (m[1] ?? '<anonymous>').replace(/^(?:Object|Proxy|Module|Function)\./, '').replace(/ \[as [^\]]+\]$/, '');
    frames.push({ fn: name, file, line: Number(m[3]) });
  }
  return frames;
}

function capture(): Frame[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  try {
    return projectFrames(new Error('where').stack);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Holds what every wrapped client sent. Start with `start()`; `stop()` before teardown statements. */
export class Recorder {
  readonly statements: RecordedStatement[] = [];
  recording = false;
  step = 'setup';

  start(): void {
    this.recording = true;
  }

  stop(): void {
    this.recording = false;
  }

  /** Sets the label of the statements that follow. */
  at(step: string): void {
    this.step = step;
  }

  private push(s: Omit<RecordedStatement, 'seq' | 'step'>): void {
    if (!this.recording) return;
    this.statements.push({ ...s, seq: this.statements.length, step: this.step });
  }

  /** A client that behaves as `client` and records what it sends. */
  wrap(client: ClickHouseClient, config: ClickHouseClientConfigOptions, makeResultSet: ResultSetFactory): ClickHouseClient {
    const database = config.database ?? 'default';
    const base: Settings = { ...(config.clickhouse_settings ?? {}) };
    const settingsOf = (call?: Settings): Settings => ({ ...base, ...(call ?? {}) });
    const failed = (err: unknown) => (err instanceof Error ? err.message : String(err));

    const query = async (params: QueryParams) => {
      const frames = capture();
      const format = params.format ?? 'JSON';
      const entry = { kind: 'query' as const, database, sql: params.query, settings: settingsOf(params.clickhouse_settings), format, frames };
      let rs: ResultSet<unknown>;
      let text: string;
      try {
        rs = (await client.query(params)) as ResultSet<unknown>;
        text = await rs.text();
      } catch (err) {
        this.push({ ...entry, error: failed(err) });
        throw err;
      }
      this.push({ ...entry, answer: text });
      return makeResultSet(text, format, rs);
    };

    const command = async (params: CommandParams) => {
      const frames = capture();
      const entry = { kind: 'command' as const, database, sql: params.query, settings: settingsOf(params.clickhouse_settings), frames };
      try {
        const result = await client.command(params);
        this.push(entry);
        return result;
      } catch (err) {
        this.push({ ...entry, error: failed(err) });
        throw err;
      }
    };

    const exec = async (given: ExecParams) => {
      const frames = capture();
      // The client's exec may carry data (`values`, a stream) beside the statement.
      let params = given as ExecParams & { values?: unknown };
      // Data streamed with the statement is read here first, kept for the replay, then sent.
      let body: string | undefined;
      if (params.values instanceof Readable) {
        const chunks: Buffer[] = [];
        for await (const chunk of params.values) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
        const data = Buffer.concat(chunks);
        body = data.toString('utf8');
        params = { ...params, values: Readable.from([data]) };
      }
      const entry = { kind: 'exec' as const, database, sql: params.query, settings: settingsOf(params.clickhouse_settings), frames, ...(body !== undefined ? { body } : {}) };
      try {
        const result = await client.exec(params as ExecParams);
        this.push(entry);
        return result;
      } catch (err) {
        this.push({ ...entry, error: failed(err) });
        throw err;
      }
    };

    const insert = async (params: InsertParams<Readable, unknown>) => {
      const frames = capture();
      const format = params.format ?? 'JSONCompactEachRow';
      if (!Array.isArray(params.values)) throw new Error(`the recorder takes inserts of arrays only; ${params.table} was given a stream`);
      if (params.columns !== undefined) throw new Error(`the recorder does not replay inserts with \`columns\` (${params.table})`);
      const rows: unknown[] = JSON.parse(JSON.stringify(params.values));
      const entry = {
        kind: 'insert' as const,
        database,
        sql: `INSERT INTO ${params.table} FORMAT ${format}`,
        settings: settingsOf(params.clickhouse_settings),
        format,
        table: params.table,
        rows,
        frames,
      };
      try {
        const result = await client.insert(params);
        this.push(entry);
        return result;
      } catch (err) {
        this.push({ ...entry, error: failed(err) });
        throw err;
      }
    };

    const overrides: Record<string, unknown> = { query, command, exec, insert };
    return new Proxy(client, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && prop in overrides) return overrides[prop];
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

/** The one recorder of a test file (the mock factory and the test share it). */
export const recorder = new Recorder();
