/**
 * A reader of the project's Dockerfile and .dockerignore, for the tests that hold them to their
 * rules (dockerfile.unit.spec.ts) and replay the steps without Docker (dockerfile.int.spec.ts).
 * It reads the subset the Dockerfile uses and says so when it meets anything else.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Instruction {
  /** 1-based line of the instruction's first line. */
  line: number;
  keyword: string;
  /** Leading `--name=value` flags (COPY, RUN, HEALTHCHECK); a flag may repeat. */
  flags: Record<string, string[]>;
  /** The arguments after the flags, as written. */
  text: string;
  /** The arguments in exec (JSON array) form, when written so. */
  json?: string[];
}

export interface Stage {
  name: string;
  /** The base image, with global ARGs substituted. */
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Joins continued lines and drops comments, keeping each instruction's first line number. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let current: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !current)) return;
    const continued = /\\\s*$/.test(raw);
    const piece = continued ? raw.replace(/\\\s*$/, '') : raw;
    if (current) current.text += ` ${piece.trim()}`;
    else current = { line: i + 1, text: piece.trim() };
    if (!continued) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? whole);
}

function parseInstruction(line: number, text: string): Instruction {
  const m = /^(\S+)\s*(.*)$/.exec(text)!;
  const keyword = m[1]!.toUpperCase();
  let rest = m[2]!;
  const flags: Record<string, string[]> = {};
  if (['COPY', 'ADD', 'RUN', 'HEALTHCHECK'].includes(keyword)) {
    for (;;) {
      const f = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
      if (!f) break;
      (flags[f[1]!] ??= []).push(f[2] ?? '');
      rest = rest.slice(f[0].length);
    }
  }
  const instruction: Instruction = { line, keyword, flags, text: rest.trim() };
  const body = keyword === 'HEALTHCHECK' ? rest.replace(/^CMD\s+/, '') : rest;
  if (body.trim().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) instruction.json = parsed as string[];
    } catch {
      // shell form that happens to start with '['
    }
  }
  return instruction;
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { line, text: t } of logicalLines(text)) {
    const ins = parseInstruction(line, t);
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value = ''] = ins.text.split('=');
      globalArgs[name!.trim()] = value.trim();
      continue;
    }
    if (ins.keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.text);
      if (!f) throw new Error(`Dockerfile line ${line}: expected FROM image [AS name], found "${ins.text}"`);
      stages.push({ name: f[2] ?? String(stages.length), base: substitute(f[1]!, globalArgs), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${line}: expected FROM before ${ins.keyword}`);
    stage.instructions.push(ins);
  }
  return { globalArgs, stages };
}

/** ENV's arguments as name/value pairs (the `NAME=value …` form, values optionally quoted). */
export function envPairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of text.matchAll(re)) {
    const v = m[2]!;
    out[m[1]!] = /^["']/.test(v) ? v.slice(1, -1) : v;
  }
  return out;
}

/** COPY's sources and destination, in either form. */
export function copyPaths(ins: Instruction): { sources: string[]; dest: string } {
  const parts = ins.json ?? ins.text.split(/\s+/).filter(Boolean);
  if (parts.length < 2) throw new Error(`Dockerfile line ${ins.line}: expected COPY SRC... DEST, found "${ins.text}"`);
  return { sources: parts.slice(0, -1), dest: parts.at(-1)! };
}

export function readDockerfile(): Dockerfile {
  return parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
}

function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Docker's .dockerignore rules: patterns anchored at the context root, `*` and `?` within one
 * path segment, `**` across segments, `!` re-includes, the last matching rule wins, and a path
 * is excluded when it or a directory above it matches.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: patternRegex(pattern) };
    });
  return (path: string) => {
    const parts = path.replace(/^\.?\/+/, '').replace(/\/+$/, '').split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negate;
    }
    return excluded;
  };
}

export function readDockerignore(): (path: string) => boolean {
  return dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
}
