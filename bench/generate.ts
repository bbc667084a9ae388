/**
 * A deterministic DTM-like admin2 drop for the benchmark: N rows over real Mali cercles, one
 * reporting date (round) per 424 rows, two sexes, four displacement reasons, and about 1% bad
 * rows (footnote-glued numbers, unknown places, impossible dates). Streams to a file.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { cerclesOf, regions, type Place } from '../domain/places.js';

export const HEADER = [
  'admin1Name',
  'admin1Pcode',
  'admin2Name',
  'admin2Pcode',
  'numPresentIdpInd',
  'reportingDate',
  'roundNumber',
  'displacementReason',
  'sex',
  'assessmentType',
] as const;

const REASONS = ['Conflict', 'Natural disaster', 'Economic', 'Other'] as const;
const SEXES = ['male', 'female'] as const;
const BAD_KINDS = ['footnote', 'place', 'date'] as const;
export type BadKind = (typeof BAD_KINDS)[number];

export interface GenerateOptions {
  rows: number;
  /** @default 1 */
  seed?: number;
  /** Share of bad rows. @default 0.01 */
  badRate?: number;
}

export interface GeneratedDrop {
  path: string;
  rows: number;
  bad: Record<BadKind, number>;
  bytes: number;
  /** Distinct reporting dates (rounds). */
  rounds: number;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Cercle {
  region: Place;
  cercle: Place;
}

function cercles(): Cercle[] {
  return regions().flatMap((region) => cerclesOf(region.pcode).map((cercle) => ({ region, cercle })));
}

function isoDay(start: number, offsetDays: number): string {
  return new Date(start + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows per round: every cercle × sex × reason once. */
export function rowsPerRound(): number {
  return cercles().length * SEXES.length * REASONS.length;
}

export async function generateDrop(path: string, options: GenerateOptions): Promise<GeneratedDrop> {
  const random = prng(options.seed ?? 1);
  const badRate = options.badRate ?? 0.01;
  const places = cercles();
  // One round a day from 1980: 5M rows (11,793 rounds) end in 2012, inside any drop's date
  // horizon, so the bad rows stay the 1% asked for at every size the bench is run at.
  const start = Date.UTC(1980, 0, 1);
  const out = createWriteStream(path);
  const bad: Record<BadKind, number> = { footnote: 0, place: 0, date: 0 };
  let bytes = 0;
  let chunk: string[] = [];
  const write = async (line: string) => {
    chunk.push(line);
    if (chunk.length < 4096) return;
    const text = chunk.join('');
    chunk = [];
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };

  await write(`${HEADER.join(',')}\n`);
  let row = 0;
  let round = 0;
  while (row < options.rows) {
    round++;
    const date = isoDay(start, round - 1);
    for (const { region, cercle } of places) {
      for (const sex of SEXES) {
        for (const reason of REASONS) {
          if (row >= options.rows) break;
          row++;
          let count = String(Math.floor(random() * 5000));
          let pcode = cercle.pcode;
          let name = cercle.name;
          let reportingDate = date;
          if (random() < badRate) {
            const kind = BAD_KINDS[Math.floor(random() * BAD_KINDS.length)]!;
            bad[kind]++;
            if (kind === 'footnote') count = `${100 + Math.floor(random() * 900)} 800${1 + Math.floor(random() * 9)}`;
            else if (kind === 'place') [pcode, name] = [`${region.pcode}99`, 'Inconnu'];
            else reportingDate = `${date.slice(0, 4)}-02-3${Math.floor(random() * 2)}`;
          }
          const cells = [region.name, region.pcode, name, pcode, count, reportingDate, String(round), reason, sex, 'BA'];
          await write(`${cells.map(csvCell).join(',')}\n`);
        }
      }
    }
  }
  const text = chunk.join('');
  bytes += Buffer.byteLength(text);
  out.end(text);
  await once(out, 'finish');
  return { path, rows: row, bad, bytes, rounds: round };
}
