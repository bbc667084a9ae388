/**
 * Two overlapping drops of one source (dtm), for the concurrency fault: A reports rounds 1..R, B
 * rounds R-O+1..2R-O. In the O rounds they share, B repeats A's counts in odd rounds (the same
 * observations: duplicates of whichever drop came first) and changes one displacement reason's
 * count by one in even rounds (new values for the same series: revisions).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../../../bench/generate.js';
import { regions } from '../../../domain/places.js';

const HEADER = 'admin1Name,admin1Pcode,numPresentIdpInd,reportingDate,roundNumber,displacementReason,assessmentType';
const REASONS = ['Conflict', 'Natural disaster', 'Economic'] as const;

export interface OverlappingDrops {
  a: string;
  b: string;
  rowsA: number;
  rowsB: number;
  /** Rows of B in the shared rounds: repeated ones, and ones with a changed count. */
  repeated: number;
  changed: number;
}

function dateOf(round: number): string {
  return new Date(Date.UTC(2001, 0, 1) + round * 86_400_000).toISOString().slice(0, 10);
}

export function writeOverlappingDrops(dir: string, options: { rounds: number; overlap: number; seed?: number }): OverlappingDrops {
  const random = prng(options.seed ?? 3);
  const places = regions();
  const counts = new Map<string, number>();
  const count = (round: number, pcode: string, reason: string) => {
    const key = `${round}|${pcode}|${reason}`;
    if (!counts.has(key)) counts.set(key, 1 + Math.floor(random() * 9000));
    return counts.get(key)!;
  };
  const rowsOf = (from: number, to: number, changeShared: (round: number) => boolean) => {
    const lines = [HEADER];
    let repeated = 0;
    let changed = 0;
    for (let round = from; round <= to; round++) {
      const shared = round > options.rounds - options.overlap && round <= options.rounds;
      for (const place of places) {
        REASONS.forEach((reason, i) => {
          const change = shared && changeShared(round) && i === 0;
          if (shared) {
            if (changeShared(round)) changed++;
            else repeated++;
          }
          lines.push([place.name, place.pcode, count(round, place.pcode, reason) + (change ? 1 : 0), dateOf(round), round, reason, 'BA'].join(','));
        });
      }
    }
    return { text: `${lines.join('\n')}\n`, rows: lines.length - 1, repeated, changed };
  };
  const a = rowsOf(1, options.rounds, () => false);
  const b = rowsOf(options.rounds - options.overlap + 1, 2 * options.rounds - options.overlap, (round) => round % 2 === 0);
  const paths = { a: join(dir, 'dtm-overlap-a.csv'), b: join(dir, 'dtm-overlap-b.csv') };
  writeFileSync(paths.a, a.text);
  writeFileSync(paths.b, b.text);
  return { ...paths, rowsA: a.rows, rowsB: b.rows, repeated: b.repeated, changed: b.changed };
}
