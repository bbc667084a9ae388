import { describe, expect, it } from 'vitest';
import {
  cerclesOf,
  matchPlace,
  normalisePlaceName,
  parentOf,
  placeByPcode,
  regions,
  type PlaceLevel,
} from '../../../domain/places.js';

function pcodeOf(raw: string, level: PlaceLevel, parent?: string): string | undefined {
  const parsed = matchPlace(raw, level, parent === undefined ? {} : { parent });
  return parsed.ok ? parsed.value.pcode : undefined;
}

describe('matchPlace at level 0', () => {
  it.each(['Mali', 'MALI', 'MLI', 'mli', 'ML', '466', 'République du Mali', 'Republique du Mali', 'Republic of Mali'])(
    'reads %j as the country',
    (raw) => {
      expect(matchPlace(raw, 0)).toEqual({ ok: true, value: { pcode: 'MLI', name: 'Mali', level: 0 } });
    },
  );

  it('rejects a region at level 0', () => {
    expect(matchPlace('Mopti', 0)).toMatchObject({ ok: false, found: 'Mopti', hint: 'Mopti is a region (ML05), not the country' });
  });
});

describe('matchPlace at level 1', () => {
  it.each([
    ['Kayes', 'ML01'], ['Koulikoro', 'ML02'], ['Sikasso', 'ML03'], ['Ségou', 'ML04'], ['Segou', 'ML04'], ['SEGOU', 'ML04'],
    ['SÉGOU', 'ML04'], ['Région de Ségou', 'ML04'], ['Region of Segou', 'ML04'], ['Mopti', 'ML05'], ['Mopti Region', 'ML05'],
    ['Tombouctou', 'ML06'], ['Timbuktu', 'ML06'], ['Tombouctu', 'ML06'], ['TOMBOUCTOU', 'ML06'], ['Gao', 'ML07'],
    ['Kidal', 'ML08'], ['Bamako', 'ML09'], ['District de Bamako', 'ML09'], ['Bamako District', 'ML09'],
    ['District of Bamako', 'ML09'], ['Ménaka', 'ML10'], ['Menaka', 'ML10'], ['  ménaka  ', 'ML10'],
    ['SÃ©gou', 'ML04'], ['S├ęgou', 'ML04'], ['S├®gou', 'ML04'], ['MÃ©naka', 'ML10'],
    ['ML05', 'ML05'], ['ml05', 'ML05'], [' ML10 ', 'ML10'],
  ])('reads %j as %s', (raw, pcode) => {
    expect(pcodeOf(raw, 1)).toBe(pcode);
  });

  it('returns the COD place', () => {
    expect(matchPlace('Timbuktu', 1)).toEqual({ ok: true, value: { pcode: 'ML06', name: 'Tombouctou', level: 1, parent: 'MLI' } });
  });

  it.each(['Nioro', 'Kita', 'Bougouni', 'San', 'Douentza', 'Bandiagara', 'Dioïla', 'Nara', 'Koutiala'])(
    'rejects %j, a 2023 region without a P-code',
    (name) => {
      const parsed = matchPlace(`Région de ${name}`, 1);
      expect(parsed).toMatchObject({ ok: false, found: `Région de ${name}` });
      expect(!parsed.ok && parsed.hint).toContain(`${name} is a region created in 2023 with no P-code in the COD yet`);
    },
  );

  it('rejects "Région de Bandiagara" and points at the cercle of that name', () => {
    expect(matchPlace('Région de Bandiagara', 1)).toEqual({
      ok: false,
      expected: 'a region of Mali (name or P-code ML01…ML10)',
      found: 'Région de Bandiagara',
      hint: 'Bandiagara is a region created in 2023 with no P-code in the COD yet; the cercle Bandiagara is ML0501',
    });
  });

  it.each(['Taoudénit', 'Taoudeni', 'Région de Taoudénit', 'TAOUDENNI'])('rejects %j, which is inside Tombouctou in the COD', (raw) => {
    const parsed = matchPlace(raw, 1);
    expect(parsed).toMatchObject({ ok: false, found: raw });
    expect(!parsed.ok && parsed.hint).toMatch(/has no P-code in the COD, where it lies inside Tombouctou \(ML06\)$/);
  });

  it.each(['ML-1', 'ML-5', 'ML-10', 'ML-BKO', 'ml-bko'])('rejects the ISO 3166-2 code %j', (raw) => {
    expect(matchPlace(raw, 1)).toMatchObject({ ok: false, found: raw, hint: 'an ISO 3166-2 code, not a P-code' });
  });

  it('rejects an unknown place, naming it, without guessing', () => {
    expect(matchPlace('Atlantis', 1)).toEqual({
      ok: false,
      expected: 'a region of Mali (name or P-code ML01…ML10)',
      found: 'Atlantis',
      hint: '"Atlantis" is not a place of Mali in the COD list; unknown names are not guessed',
    });
  });

  it.each(['Segu', 'Mopit', 'Kaye', 'Tombouctou Nord'])('does not fuzzy-match %j', (raw) => {
    expect(matchPlace(raw, 1)).toMatchObject({ ok: false, found: raw });
  });

  it.each([
    ['ML11', 'ML11 is not in the COD P-code list of Mali'],
    ['ML0501', 'ML0501 is a cercle (Bandiagara), not a region'],
    ['MLI', 'MLI is the country (Mali), not a region'],
    ['Ansongo', 'Ansongo is a cercle (ML0701), not a region'],
    ['', 'the place cell is empty'],
  ])('rejects %j with the reason', (raw, hint) => {
    expect(matchPlace(raw, 1)).toMatchObject({ ok: false, found: raw, hint });
  });
});

describe('matchPlace at level 2', () => {
  it.each([
    ['Bandiagara', 'ML0501'], ['Cercle de Bandiagara', 'ML0501'], ['Kita', 'ML0105'], ['Nioro', 'ML0106'],
    ['Nioro du Sahel', 'ML0106'], ['Dioïla', 'ML0202'], ['Dioila', 'ML0202'], ['San', 'ML0405'], ['Douentza', 'ML0504'],
    ['Nara', 'ML0207'], ['Koutiala', 'ML0304'], ['Bougouni', 'ML0301'], ['Timbuktu', 'ML0605'], ['Tombouctou', 'ML0605'],
    ['Gourma-Rharous', 'ML0603'], ['Gourma Rharous', 'ML0603'], ['GOURMA RHAROUS', 'ML0603'], ['Niafunké', 'ML0604'],
    ['Niafunke', 'ML0604'], ['Diré', 'ML0601'], ['Djenné', 'ML0503'], ['Kéniéba', 'ML0104'], ['Bafoulabé', 'ML0101'],
    ['Diéma', 'ML0102'], ['Yélimané', 'ML0107'], ['Barouéli', 'ML0401'], ['Baraoueli', 'ML0401'], ['Ténenkou', 'ML0507'],
    ['Tenenkou', 'ML0507'], ['Abeïbara', 'ML0801'], ['Tin-Essako', 'ML0804'], ['Tin Essako', 'ML0804'],
    ['Anderamboukane', 'ML1002'], ['Andéramboukane', 'ML1002'], ['Inékar', 'ML1003'], ['Tidermène', 'ML1004'],
    ['Cercle d’Ansongo', 'ML0701'], ["Cercle d'Ansongo", 'ML0701'], ['Ké-Macina', 'ML0403'], ['Bamako', 'ML0901'],
    ['Tiderm├¿ne', 'ML1004'], ['DiÃ©ma', 'ML0102'], ['ml0501', 'ML0501'], ['ML1004', 'ML1004'],
  ])('reads %j as %s', (raw, pcode) => {
    expect(pcodeOf(raw, 2)).toBe(pcode);
  });

  it('reads "Bandiagara" as the cercle ML0501 in Mopti', () => {
    expect(matchPlace('Bandiagara', 2)).toEqual({ ok: true, value: { pcode: 'ML0501', name: 'Bandiagara', level: 2, parent: 'ML05' } });
  });

  it('accepts a cercle in the expected region', () => {
    expect(pcodeOf('Bandiagara', 2, 'ML05')).toBe('ML0501');
    expect(pcodeOf('ML0601', 2, 'ML06')).toBe('ML0601');
  });

  it('rejects a cercle whose region is not the expected one', () => {
    expect(matchPlace('Bandiagara', 2, { parent: 'ML04' })).toEqual({
      ok: false,
      expected: 'a place in Segou (ML04)',
      found: 'Bandiagara',
      hint: 'Bandiagara (ML0501) is in Mopti (ML05), not in Segou (ML04)',
    });
  });

  it.each([
    ['ML05', 'ML05 is a region (Mopti), not a cercle'],
    ['ML0509', 'ML0509 is not in the COD P-code list of Mali'],
    ['ML-5', 'an ISO 3166-2 code, not a P-code'],
    ['Taoudénit', 'Taoudénit has no P-code in the COD, where it lies inside Tombouctou (ML06)'],
    ['Atlantis', '"Atlantis" is not a place of Mali in the COD list; unknown names are not guessed'],
    ['Mali', 'Mali is the country (MLI), not a cercle'],
  ])('rejects %j with the reason', (raw, hint) => {
    expect(matchPlace(raw, 2)).toEqual({ ok: false, expected: 'a cercle of Mali (name or P-code such as ML0501)', found: raw, hint });
  });
});

describe('normalisePlaceName', () => {
  it.each([
    ['Ségou', 'segou'],
    ['Région de Ségou', 'segou'],
    ['Gourma-Rharous', 'gourmarharous'],
    ['  GOURMA   rharous ', 'gourmarharous'],
    ['S├ęgou', 'segou'],
    ['District of Bamako', 'bamako'],
    ['Bamako District', 'bamako'],
    ['Région', 'region'],
    ['Abeïbara', 'abeibara'],
  ])('keys %j as %j', (raw, key) => {
    expect(normalisePlaceName(raw)).toBe(key);
  });
});

describe('the COD list', () => {
  it('holds 10 regions, ML01 to ML10, in the country', () => {
    const list = regions();
    expect(list.map((r) => r.pcode)).toEqual(['ML01', 'ML02', 'ML03', 'ML04', 'ML05', 'ML06', 'ML07', 'ML08', 'ML09', 'ML10']);
    expect(list.every((r) => r.level === 1 && r.parent === 'MLI')).toBe(true);
  });

  it('holds 53 cercles, each in one of the regions', () => {
    const cercles = regions().flatMap((r) => cerclesOf(r.pcode));
    expect(cercles).toHaveLength(53);
    expect(new Set(cercles.map((c) => c.pcode)).size).toBe(53);
  });

  it('lists the cercles of Mopti', () => {
    expect(cerclesOf('ML05').map((c) => c.name)).toEqual(['Bandiagara', 'Bankass', 'Djenne', 'Douentza', 'Koro', 'Mopti', 'Tenenkou', 'Youwarou']);
    expect(cerclesOf('ML99')).toEqual([]);
  });

  it('finds places and their parents by P-code', () => {
    expect(placeByPcode('ml0501')).toEqual({ pcode: 'ML0501', name: 'Bandiagara', level: 2, parent: 'ML05' });
    expect(placeByPcode('MLI')).toEqual({ pcode: 'MLI', name: 'Mali', level: 0 });
    expect(placeByPcode('ML-5')).toBeUndefined();
    expect(parentOf('ML0501')?.pcode).toBe('ML05');
    expect(parentOf('ML05')?.pcode).toBe('MLI');
    expect(parentOf('MLI')).toBeUndefined();
    expect(parentOf('ML99')).toBeUndefined();
  });
});
