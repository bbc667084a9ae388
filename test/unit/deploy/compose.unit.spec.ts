/**
 * infra/compose.yaml, checked without Docker: against the Compose Specification's JSON schema,
 * and for the deployment's closed defaults (loopback-only ports, required passwords, the analyst
 * user, the pipeline built from the Dockerfile).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { COMPOSE_DIR, InterpolationError, environment, interpolate, mount, publishedPort, readCompose, strings, variables, type ComposeFile } from './compose.js';
import { ROOT } from './dockerfile.js';
import { metricsFromEnv } from '../../../infra/config.js';

/** What each required variable would be on a real machine: any non-empty value. */
const SECRETS = { CLICKHOUSE_PASSWORD: 'writer-secret', CLICKHOUSE_ANALYST_PASSWORD: 'analyst-secret', GRAFANA_ADMIN_PASSWORD: 'grafana-secret' };
const TALLY_SERVICES = ['worker', 'projections', 'explorer'];

const raw = readCompose();
const doc = interpolate(raw, SECRETS);

function composeValidator() {
  const require = createRequire(import.meta.url);
  // The spec names draft-07 by its https id; Ajv ships the same meta-schema under the http one.
  const meta = { ...(require('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>), $id: 'https://json-schema.org/draft-07/schema' };
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  ajv.addMetaSchema(meta);
  const schema = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/deploy/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  const validate = ajv.compile(schema);
  return (value: unknown) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`));
}

function tallyServices(file: ComposeFile) {
  return Object.entries(file.services).filter(([, s]) => s.image === 'migration-tally:local' || s.build !== undefined);
}

describe('infra/compose.yaml', () => {
  const validate = composeValidator();

  it('follows the Compose Specification, before and after interpolation', () => {
    expect(validate(raw)).toEqual([]);
    expect(validate(doc)).toEqual([]);
  });

  it('has a schema check that sees a broken file', () => {
    const broken = structuredClone(doc);
    (broken.services.worker as Record<string, unknown>).imagee = 'typo';
    (broken.services.kafka as Record<string, unknown>).restart = ['always'];
    const errors = validate(broken).join('\n');
    expect(errors).toMatch(/\/services\/worker must NOT have additional properties.*imagee/);
    expect(errors).toMatch(/\/services\/kafka\/restart must be string/);
  });

  it('takes each password from the environment and refuses to start without it', () => {
    let error: unknown;
    try {
      interpolate(raw, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InterpolationError);
    expect(new Set((error as InterpolationError).missing.map((m) => m.name))).toEqual(new Set(Object.keys(SECRETS)));
    for (const [name, service] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries(environment(service))) {
        if (!/PASSWORD/.test(key)) continue;
        const refs = variables(value);
        expect(refs, `${name}.${key}`).toHaveLength(1);
        expect(refs[0]!.op, `${name}.${key} must be \${VAR:?…}: set and not empty`).toBe(':?');
      }
    }
  });

  it('writes no secret into the file', () => {
    for (const { path, value } of strings(raw)) {
      if (!/(PASSWORD|SECRET|TOKEN|API_KEY)$/.test(path)) continue;
      expect(value, path).toMatch(/^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$/);
    }
  });

  it('publishes every port on 127.0.0.1 only, and runs nothing privileged or on the host network', () => {
    const published: string[] = [];
    for (const [name, service] of Object.entries(doc.services)) {
      expect(service.network_mode, name).toBeUndefined();
      expect(service.privileged, name).not.toBe(true);
      for (const entry of service.ports ?? []) {
        const port = publishedPort(entry);
        expect(port.hostIp, `${name} publishes ${JSON.stringify(entry)}`).toBe('127.0.0.1');
        published.push(`${name}:${port.target}`);
      }
    }
    expect(published.sort()).toEqual(['clickhouse:8123', 'explorer:8765', 'grafana:3000', 'kafka:9094', 'prometheus:9090', 'temporal:7233', 'temporal:8233']);
  });

  it('has no passwordless ClickHouse user: a writer from the environment and the read-only analyst from users.d', () => {
    const ch = doc.services.clickhouse!;
    const env = environment(ch);
    expect(env.CLICKHOUSE_USER).not.toBe('default');
    expect(env.CLICKHOUSE_PASSWORD).toBe(SECRETS.CLICKHOUSE_PASSWORD);
    const mounts = (ch.volumes ?? []).map(mount).filter((m) => m.target.startsWith('/etc/clickhouse-server/users.d/'));
    expect(mounts).toHaveLength(1);
    const xml = readFileSync(resolve(COMPOSE_DIR, mounts[0]!.source!), 'utf8');
    const user = /<users>\s*<analyst>([\s\S]*?)<\/analyst>/.exec(xml)?.[1];
    expect(user, 'users.d defines <analyst>').toBeDefined();
    const passwordVar = /<password from_env="([A-Z_]+)"\s*\/>/.exec(user!)?.[1];
    expect(passwordVar).toBe('CLICKHOUSE_ANALYST_PASSWORD');
    expect(env[passwordVar!], 'the server gets the analyst password').toBe(SECRETS.CLICKHOUSE_ANALYST_PASSWORD);
    expect(user).toMatch(/<profile>analyst<\/profile>/);
    expect(/<profiles>[\s\S]*<analyst>[\s\S]*<readonly>([12])<\/readonly>/.exec(xml)?.[1], 'the analyst profile is read-only').toBeDefined();
    expect(user).toContain(`<database>${env.CLICKHOUSE_DB}</database>`);
    expect(xml).not.toMatch(/<password>[^<]*<\/password>/);
  });

  it('connects the explorer as the analyst and every other tally service as the writer', () => {
    const ch = environment(doc.services.clickhouse!);
    for (const [name, service] of tallyServices(doc)) {
      const env = environment(service);
      if (name === 'explorer') {
        expect(env.CLICKHOUSE_USER).toBe('analyst');
        expect(env.CLICKHOUSE_PASSWORD).toBe(SECRETS.CLICKHOUSE_ANALYST_PASSWORD);
      } else {
        expect(env.CLICKHOUSE_USER, name).toBe(ch.CLICKHOUSE_USER);
        expect(env.CLICKHOUSE_PASSWORD, name).toBe(SECRETS.CLICKHOUSE_PASSWORD);
      }
      expect(env.CLICKHOUSE_DATABASE, name).toBe(ch.CLICKHOUSE_DB);
    }
  });

  it('builds worker, projections and explorer from the Dockerfile, one image for all', () => {
    const tally = tallyServices(raw);
    expect(tally.map(([n]) => n)).toEqual(expect.arrayContaining(TALLY_SERVICES));
    for (const [name, service] of tally) {
      expect(typeof service.build, name).toBe('object');
      const build = service.build as { context: string; dockerfile: string };
      expect(resolve(COMPOSE_DIR, build.context), name).toBe(ROOT);
      expect(existsSync(join(resolve(COMPOSE_DIR, build.context), build.dockerfile)), name).toBe(true);
      expect(build.dockerfile).toBe('Dockerfile');
      expect(service.image, name).toBe('migration-tally:local');
      expect(service.user, `${name} runs as the image's non-root user`).toBeUndefined();
      expect(service.read_only, name).toBe(true);
    }
  });

  it('runs commands the command line has, each healthy on a port its process binds', () => {
    for (const [name, service] of tallyServices(doc).filter(([n]) => TALLY_SERVICES.includes(n))) {
      const command = service.command as string[];
      // Options are left to the command's own parsing; --help proves the command exists.
      const words = command.filter((w, i) => !w.startsWith('-') && !(command[i - 1] ?? '').startsWith('-'));
      const help = spawnSync(process.execPath, ['bin/run-ts.mjs', 'cli/tally.ts', ...words, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, TALLY_WORKER_RUNTIME: 'off' } });
      expect(help.status, `${name}: ${help.stderr}`).toBe(0);
      expect(help.stdout, name).toMatch(new RegExp(`^Usage: tally ${words.join(' ')} `));
      for (const option of command.filter((w) => w.startsWith('--'))) expect(help.stdout, `${name} ${option}`).toContain(option);
      const env = environment(service);
      const metrics = metricsFromEnv(env);
      const bound = name === 'explorer' ? [Number(command[command.indexOf('--port') + 1])] : name === 'worker' ? [metrics.worker, metrics.temporal] : [metrics.projections];
      // The image's HEALTHCHECK asks TALLY_HEALTH_URL, else the worker's metrics port.
      const health = env.TALLY_HEALTH_URL ?? `http://127.0.0.1:${env.TALLY_METRICS_PORT ?? 9464}/metrics`;
      expect(bound, `${name}: ${health}`).toContain(Number(new URL(health).port));
    }
  }, 120_000);

  it('points the pipeline at the engines by their service names and internal ports', () => {
    const kafka = environment(doc.services.kafka!);
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toContain('INTERNAL://kafka:9092');
    expect(kafka.KAFKA_LISTENERS).toMatch(/CONTROLLER:\/\/127\.0\.0\.1:9093/);
    for (const [name, service] of tallyServices(doc)) {
      const env = environment(service);
      expect(env.TALLY_STACK, name).toBe('external');
      expect(env.KAFKA_BROKERS, name).toBe('kafka:9092');
      expect(env.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
      expect(env.CLICKHOUSE_URL, name).toBe('http://clickhouse:8123');
    }
  });

  it('runs Temporal with its UI, bound inside the network and published to loopback', () => {
    const temporal = doc.services.temporal!;
    const command = temporal.command as string[];
    expect(command.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(command).not.toContain('--headless');
    expect(command[command.indexOf('--db-filename') + 1]).toMatch(/^\/home\/temporal\//);
    expect((temporal.ports ?? []).map((p) => publishedPort(p).hostIp)).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('mounts only files of this repository that exist, read-only', () => {
    for (const [name, service] of Object.entries(doc.services)) {
      for (const entry of service.volumes ?? []) {
        const m = mount(entry);
        if (!m.bind || m.target === '/drops') continue;
        expect(existsSync(resolve(COMPOSE_DIR, m.source!)), `${name}: ${m.source}`).toBe(true);
        expect(String(entry), `${name}: ${m.source}`).toMatch(/:ro$/);
      }
    }
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(doc.services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[a-z0-9./-]+:v?\d+(\.\d+)+$/);
    }
  });

  it('checks the health of every engine and tool it starts', () => {
    for (const [name, service] of Object.entries(doc.services)) {
      if (service.build) continue;
      expect(service.healthcheck, name).toBeDefined();
    }
  });
});
