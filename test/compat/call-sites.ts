/**
 * Every place in the project's code that sends SQL to ClickHouse, found by reading the source:
 * calls of selectRows / insertRows, and `.query({` `.command({` `.insert({` `.exec({` on a client.
 * The compat test checks that its recording passed through each one, so a new query that the
 * scenario does not drive fails it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Frame } from './recording.js';
import { REPO_ROOT } from './recording.js';

/** Folders whose SQL is not the product's: the benchmark's own scratch tables, tests, tooling. */
const NOT_SCANNED = new Set(['node_modules', 'dist', 'test', 'bench', 'examples', 'docs', '.tally', 'test-results', '.git', 'static']);

/**
 * Files whose SQL the scenario does not drive, each with why. The Kafka-engine projection path is
 * opt-in (TALLY_PROJECTION_PATH=engine, off by default) and written for 18.16's Kafka engine (its
 * settings and flush behaviour); it is proven on 18.16 by test/int/projections/engine-path.int.spec.ts,
 * not yet on a current ClickHouse (docs/clickhouse-compat.md).
 */
const NOT_DRIVEN = new Map([
  ['projections/engine.ts', 'the opt-in Kafka-engine path, 18.16 only for now'],
  ['projections/engine-replay.ts', "the opt-in Kafka-engine path's rebuild, 18.16 only for now"],
]);

export interface CallSite {
  file: string;
  /** Lines from the callee's name to the call's opening parenthesis (type arguments may span lines). */
  from: number;
  to: number;
  text: string;
}

const CALL = /\b(selectRows|insertRows)\s*[<(]|\.(query|command|insert|exec)\(\s*\{/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return NOT_SCANNED.has(e.name) ? [] : sources(join(dir, e.name));
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.spec.ts') ? [join(dir, e.name)] : [];
  });
}

/** Index of the `(` that opens the call whose name ends at `i`, skipping `<…>` type arguments. */
function openParen(text: string, i: number): number {
  let j = i;
  while (/\s/.test(text[j] ?? '')) j++;
  if (text[j] !== '<') return j;
  let depth = 0;
  for (; j < text.length; j++) {
    const c = text[j];
    if (c === '<') depth++;
    else if (c === '>' && text[j - 1] !== '=') {
      depth--;
      if (depth === 0) break;
    }
  }
  j++;
  while (/\s/.test(text[j] ?? '')) j++;
  return j;
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

export function sqlCallSites(root = REPO_ROOT): CallSite[] {
  const sites: CallSite[] = [];
  for (const path of sources(root)) {
    const text = readFileSync(path, 'utf8');
    const file = relative(root, path).split(sep).join('/');
    if (NOT_DRIVEN.has(file)) continue;
    for (const m of text.matchAll(CALL)) {
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      const line = text.slice(lineStart, text.indexOf('\n', m.index) === -1 ? undefined : text.indexOf('\n', m.index));
      // Declarations and comments are not calls.
      if (/\bfunction\s+(selectRows|insertRows)\b/.test(line) || /^\s*(\*|\/\/)/.test(line)) continue;
      const nameEnd = m[1] ? m.index + m[0].length - 1 : m.index + 1 + m[2]!.length;
      const paren = openParen(text, nameEnd);
      sites.push({ file, from: lineAt(text, m.index), to: lineAt(text, paren), text: line.trim() });
    }
  }
  return sites;
}

/** The call sites that no recorded stack passed through. */
export function uncovered(sites: readonly CallSite[], stacks: readonly (readonly Frame[])[]): CallSite[] {
  const seen = new Map<string, Set<number>>();
  for (const frames of stacks) {
    for (const f of frames) {
      const lines = seen.get(f.file) ?? new Set<number>();
      lines.add(f.line);
      seen.set(f.file, lines);
    }
  }
  return sites.filter((s) => {
    const lines = seen.get(s.file);
    if (!lines) return true;
    for (let l = s.from; l <= s.to; l++) if (lines.has(l)) return false;
    return true;
  });
}
