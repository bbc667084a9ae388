import { describe, expect, it } from 'vitest';
import { HELD_OBSERVATIONS, pagesOf, PAGE_OBSERVATIONS, partitionOf, readsAhead } from '../../../activities/reconcile.js';
import type { GroupInfo } from '../../../activities/clickhouse.js';

const group = (indicator: string, area: string, disaggregation: string, observations: number, touched = true): GroupInfo => ({
  indicator,
  area,
  areaLevel: area === 'MLI' ? 0 : area.length === 4 ? 1 : 2,
  disaggregation,
  groupKey: `${indicator}|${area}|${disaggregation}`,
  observations,
  touched,
});

describe('reconciliation pages', () => {
  it('keep a cercle group alone, and the nation with its regions per indicator and disaggregation', () => {
    expect(partitionOf(group('idps', 'ML0501', '', 1))).not.toBe(partitionOf(group('idps', 'ML0502', '', 1)));
    expect(partitionOf(group('idps', 'MLI', 'sex=f', 1))).toBe(partitionOf(group('idps', 'ML05', 'sex=f', 1)));
    expect(partitionOf(group('idps', 'MLI', 'sex=f', 1))).not.toBe(partitionOf(group('idps', 'MLI', 'sex=m', 1)));
  });

  it('never split a partition or mix indicators, and stay near the page size', () => {
    const groups = [
      group('idps', 'MLI', '', 5),
      ...Array.from({ length: 30 }, (_, i) => group('idps', `ML0${(i % 9) + 1}0${(i % 9) + 1}`.slice(0, 6), `sex=${i}`, PAGE_OBSERVATIONS / 10)),
      group('idps', 'ML05', '', 7),
      group('refugees', 'ML0501', '', 3),
    ];
    const pages = pagesOf(groups, false);
    expect(pages.flatMap((p) => p.groupKeys).sort()).toEqual(groups.map((g) => g.groupKey).sort());
    const pageOf = new Map(pages.flatMap((p, i) => p.groupKeys.map((k) => [k, i] as const)));
    expect(pageOf.get('idps|MLI|')).toBe(pageOf.get('idps|ML05|'));
    for (const p of pages) {
      expect(new Set(p.groupKeys.map((k) => k.split('|')[0])).size).toBe(1);
      const size = groups.filter((g) => p.groupKeys.includes(g.groupKey)).reduce((n, g) => n + g.observations, 0);
      expect(size).toBeLessThanOrEqual(PAGE_OBSERVATIONS + 12);
      expect(p.observations).toBe(size);
    }
  });

  it('leave out partitions the drop did not touch, but keep a touched region with its nation', () => {
    const groups = [group('idps', 'MLI', '', 5, false), group('idps', 'ML05', '', 7, true), group('idps', 'ML0501', '', 3, false)];
    expect(pagesOf(groups, true).flatMap((p) => p.groupKeys).sort()).toEqual(['idps|ML05|', 'idps|MLI|']);
    expect(pagesOf(groups, false).flatMap((p) => p.groupKeys)).toHaveLength(3);
  });

  it('read the next page while reconciling one only when the two stay within HELD_OBSERVATIONS', () => {
    const pages = [{ observations: 7_000 }, { observations: 7_500 }, { observations: 11_800 }, { observations: 11_800 }, { observations: 100 }];
    expect(7_000 + 7_500).toBeLessThanOrEqual(HELD_OBSERVATIONS);
    expect(readsAhead(pages, 0)).toBe(true);
    expect(readsAhead(pages, 1)).toBe(false); // 7,500 + 11,800: one long series, read after
    expect(readsAhead(pages, 2)).toBe(false);
    expect(readsAhead(pages, 3)).toBe(true);
    expect(readsAhead(pages, 4)).toBe(false); // the last page
  });
});
