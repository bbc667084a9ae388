/**
 * infra/compose.yaml as Docker Compose reads it: YAML merge keys resolved, then `${…}` variables
 * interpolated from an environment, for the static checks of the deployment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './dockerfile.js';

export const COMPOSE_DIR = join(ROOT, 'infra');
export const COMPOSE_PATH = join(COMPOSE_DIR, 'compose.yaml');

export interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { host_ip?: string; published?: string | number; target?: number }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  profiles?: string[];
  depends_on?: Record<string, unknown> | string[];
  network_mode?: string;
  privileged?: boolean;
  user?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The file with its merge keys (`<<: *anchor`) resolved, variables not yet interpolated. */
export function readCompose(): ComposeFile {
  return parse(readFileSync(COMPOSE_PATH, 'utf8'), { merge: true }) as ComposeFile;
}

export class InterpolationError extends Error {
  constructor(readonly missing: Array<{ name: string; message: string }>) {
    super(`required variables unset: ${missing.map((m) => `${m.name} (${m.message})`).join('; ')}`);
  }
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Every `${NAME…}` reference in a string: its name, operator and the text after it. */
export function variables(text: string): Array<{ name: string; op?: string; arg?: string }> {
  return [...text.matchAll(VARIABLE)].filter((m) => m[0] !== '$$').map((m) => ({ name: (m[1] ?? m[4])!, op: m[2], arg: m[3] }));
}

function interpolateString(text: string, env: Record<string, string | undefined>, missing: InterpolationError['missing']): string {
  return text.replace(VARIABLE, (whole, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env[name];
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (op) {
      case ':-': return nonEmpty ? value : arg!;
      case '-': return set ? value : arg!;
      case ':+': return nonEmpty ? arg! : '';
      case '+': return set ? arg! : '';
      case ':?':
      case '?':
        if (op === ':?' ? !nonEmpty : !set) missing.push({ name, message: arg || 'required' });
        return value ?? '';
      default: return value ?? '';
    }
  });
}

function walk(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, fn)]));
  return value;
}

/** Compose's interpolation of every value; throws InterpolationError naming each required variable left unset. */
export function interpolate<T>(doc: T, env: Record<string, string | undefined>): T {
  const missing: InterpolationError['missing'] = [];
  const out = walk(doc, (s) => interpolateString(s, env, missing)) as T;
  if (missing.length > 0) throw new InterpolationError(missing);
  return out;
}

/** Every string value of the document, with the path that leads to it. */
export function strings(value: unknown, path = ''): Array<{ path: string; value: string }> {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  return [];
}

/** A service's environment as a map, whichever form the file uses. */
export function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => {
      const i = e.indexOf('=');
      return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export interface PublishedPort {
  hostIp?: string;
  published?: string;
  target: string;
}

/** A `ports` entry in either syntax. */
export function publishedPort(entry: string | number | { host_ip?: string; published?: string | number; target?: number }): PublishedPort {
  if (typeof entry === 'object') return { hostIp: entry.host_ip, published: entry.published === undefined ? undefined : String(entry.published), target: String(entry.target) };
  const text = String(entry).replace(/\/(tcp|udp)$/, '');
  const v6 = /^\[([^\]]+)\]:([^:]+):(.+)$/.exec(text);
  if (v6) return { hostIp: v6[1], published: v6[2], target: v6[3]! };
  const parts = text.split(':');
  if (parts.length === 3) return { hostIp: parts[0], published: parts[1], target: parts[2]! };
  if (parts.length === 2) return { published: parts[0], target: parts[1]! };
  return { target: parts[0]! };
}

/** A `volumes` entry in either syntax. */
export function mount(entry: string | { type?: string; source?: string; target?: string }): { source?: string; target: string; bind: boolean } {
  if (typeof entry === 'object') return { source: entry.source, target: entry.target ?? '', bind: entry.type === 'bind' };
  const [source, target] = entry.split(':');
  if (target === undefined) return { target: source!, bind: false };
  return { source, target, bind: /^[./~]/.test(source!) };
}
