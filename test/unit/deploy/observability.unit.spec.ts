/**
 * Prometheus and Grafana of infra/compose.yaml, checked without Docker: the scrape jobs reach the
 * compose services on their metrics ports, and the dashboard asks only for tally's metrics and
 * labels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { metricsFromEnv } from '../../../infra/config.js';
import { COMPOSE_DIR, environment, interpolate, mount, readCompose } from './compose.js';

/** The metrics the worker and the projections expose, with their labels (histograms: _bucket, _sum, _count). */
const METRICS: Record<string, { labels: string[]; histogram?: boolean }> = {
  tally_rows_total: { labels: ['source', 'outcome'] },
  tally_drops_total: { labels: ['source', 'status'] },
  tally_events_published_total: { labels: ['topic'] },
  tally_projection_lag_messages: { labels: ['topic', 'partition'] },
  tally_insert_rows_total: { labels: ['table'] },
  tally_insert_seconds: { labels: [], histogram: true },
  tally_reconcile_seconds: { labels: [], histogram: true },
  tally_discrepancies_open: { labels: ['indicator'] },
  tally_alert_deliveries_total: { labels: ['sink', 'result'] },
};
/** Labels Prometheus adds to every series, and the histogram's bucket label. */
const ALWAYS = ['job', 'instance', 'role'];

const compose = interpolate(readCompose(), { CLICKHOUSE_PASSWORD: 'x', CLICKHOUSE_ANALYST_PASSWORD: 'y', GRAFANA_ADMIN_PASSWORD: 'z' });
const read = (path: string) => readFileSync(join(COMPOSE_DIR, path), 'utf8');

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: Array<{ targets: string[] }>;
  dns_sd_configs?: Array<{ names: string[]; type?: string; port?: number }>;
}

function scrapeTargets(): Array<{ job: string; host: string; port: number; path: string }> {
  const config = parse(read('prometheus/prometheus.yml')) as { scrape_configs: ScrapeConfig[] };
  return config.scrape_configs.flatMap((job) => {
    const path = job.metrics_path ?? '/metrics';
    const fromStatic = (job.static_configs ?? []).flatMap((s) => s.targets.map((t) => ({ host: t.split(':')[0]!, port: Number(t.split(':')[1]) })));
    const fromDns = (job.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => ({ host: n, port: d.port ?? NaN })));
    return [...fromStatic, ...fromDns].map((t) => ({ job: job.job_name, path, ...t }));
  });
}

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}

const dashboard = JSON.parse(read('grafana/dashboards/tally.json')) as { uid: string; panels: Panel[]; templating: { list: Array<{ query: { query: string } | string; datasource?: { uid: string } }> } };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const exprs = [
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
  ...dashboard.templating.list.map((v) => ({ where: 'templating', expr: typeof v.query === 'string' ? v.query : v.query.query })),
];

/** The metric names an expression reads, each as the base name in METRICS (or the unknown name itself). */
function metricsOf(expr: string): string[] {
  return [...expr.matchAll(/\b([a-z_:][a-z0-9_:]*)\s*(?=\{|\[|\)|,|\s|$)/g)]
    .map((m) => m[1]!)
    .filter((name) => name.startsWith('tally_') || /^[a-z_]+_(total|seconds|messages|open|bucket|sum|count)$/.test(name))
    .map((name) => {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return METRICS[base]?.histogram && base !== name ? base : name;
    });
}

/** Labels named in selectors (`{a="x"}`) and groupings (`by (a, b)`). */
function labelsOf(expr: string): string[] {
  const inSelectors = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!));
  const inGroupings = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
  const inFunctions = [...expr.matchAll(/label_values\(\s*[a-z_]+\s*,\s*([a-zA-Z_]+)\s*\)/g)].map((m) => m[1]!);
  return [...inSelectors, ...inGroupings, ...inFunctions];
}

describe('Prometheus (infra/prometheus/prometheus.yml)', () => {
  it('scrapes each tally service that exposes metrics, on the port its environment gives it', () => {
    const targets = scrapeTargets();
    // The port the service's own process binds, as infra/config.ts reads its environment.
    const part = { worker: 'worker', projections: 'projections' } as const;
    const exposing = Object.entries(part).map(([name, p]) => ({ name, port: metricsFromEnv(environment(compose.services[name]!))[p] }));
    expect(exposing.map((s) => `${s.name}:${s.port}`).sort()).toEqual(['projections:9465', 'worker:9464']);
    expect(targets.map((t) => `${t.host}:${t.port}`).sort()).toEqual(exposing.map((s) => `${s.name}:${s.port}`).sort());
    for (const t of targets) expect(t.path, t.job).toBe('/metrics');
  });

  it('is mounted into the prometheus service, which Grafana reads at the address it listens on', () => {
    const prometheus = compose.services.prometheus!;
    const config = (prometheus.volumes ?? []).map(mount).find((m) => m.target === '/etc/prometheus/prometheus.yml');
    expect(config?.source).toBe('./prometheus/prometheus.yml');
    const listen = (prometheus.command as string[]).find((a) => a.startsWith('--web.listen-address='))!.split(':').at(-1);
    const ds = parse(read('grafana/provisioning/datasources/prometheus.yaml')) as { datasources: Array<{ uid: string; url: string; type: string }> };
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]!.type).toBe('prometheus');
    expect(ds.datasources[0]!.url).toBe(`http://prometheus:${listen}`);
  });
});

describe('Grafana (infra/grafana/)', () => {
  it('loads the dashboard folder the compose file mounts', () => {
    const provider = parse(read('grafana/provisioning/dashboards/tally.yaml')) as { providers: Array<{ options: { path: string } }> };
    const mounts = (compose.services.grafana!.volumes ?? []).map(mount);
    const dashboards = mounts.find((m) => m.source === './grafana/dashboards');
    expect(dashboards?.target).toBe(provider.providers[0]!.options.path);
    expect(mounts.find((m) => m.source === './grafana/provisioning')?.target).toBe('/etc/grafana/provisioning');
    const home = environment(compose.services.grafana!).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(home).toBe(`${dashboards!.target}/tally.json`);
  });

  it('asks the provisioned datasource only', () => {
    const ds = parse(read('grafana/provisioning/datasources/prometheus.yaml')) as { datasources: Array<{ uid: string }> };
    const uids = new Set([...panels.filter((p) => p.type !== 'row').flatMap((p) => [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)]), ...dashboard.templating.list.map((v) => v.datasource?.uid)]);
    expect([...uids]).toEqual([ds.datasources[0]!.uid]);
  });

  it('reads only the metrics tally exposes, and each of them', () => {
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      const names = metricsOf(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect(Object.keys(METRICS), `${where}: ${expr}`).toContain(name);
        used.add(name);
      }
    }
    expect([...used].sort()).toEqual(Object.keys(METRICS).sort());
  });

  it("names only the labels of the metrics each expression reads", () => {
    for (const { where, expr } of exprs) {
      const metrics = metricsOf(expr);
      const allowed = new Set([...ALWAYS, ...metrics.flatMap((m) => METRICS[m]?.labels ?? []), ...(metrics.some((m) => METRICS[m]?.histogram && /_bucket\b/.test(expr)) ? ['le'] : [])]);
      for (const label of labelsOf(expr)) expect([...allowed], `${where}: ${expr}`).toContain(label);
    }
  });

  it('has a metric and label reader that sees a stray name', () => {
    expect(metricsOf('sum by (le) (rate(tally_insert_seconds_bucket[5m]))')).toEqual(['tally_insert_seconds']);
    expect(metricsOf('rate(tally_rows_totl[5m])')).toEqual(['tally_rows_totl']);
    expect(labelsOf('sum by (source, outcomes) (tally_rows_total{source=~"$source"})')).toEqual(['source', 'source', 'outcomes']);
  });
});
