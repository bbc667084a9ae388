import { describe, expect, it } from 'vitest';
import { locateHeader } from '../../../connectors/header.js';
import { hxlHas, isHxlRow, parseHxlTag } from '../../../connectors/hxl.js';

describe('parseHxlTag', () => {
  it('splits the hashtag from its attributes, lowercased and sorted', () => {
    expect(parseHxlTag('#Affected+IDPs+ind')).toEqual({ tag: 'affected', attributes: ['idps', 'ind'], raw: '#Affected+IDPs+ind' });
  });

  it('tolerates spaces around attributes', () => {
    expect(parseHxlTag(' #adm1 +name ')).toMatchObject({ tag: 'adm1', attributes: ['name'], raw: '#adm1 +name' });
  });

  it('refuses what is not a hashtag', () => {
    expect(parseHxlTag('Région')).toBeNull();
    expect(parseHxlTag('#')).toBeNull();
    expect(parseHxlTag('# note de bas de page')).toBeNull();
    expect(parseHxlTag('')).toBeNull();
  });
});

describe('isHxlRow', () => {
  it('needs at least half of the non-empty cells to be hashtags', () => {
    expect(isHxlRow(['#adm1+name', '', '', 'Total'])).toBe(true);
    expect(isHxlRow(['#adm1+name', 'Mopti', 'ML05'])).toBe(false);
  });

  it('needs at least one hashtag', () => {
    expect(isHxlRow(['', ''])).toBe(false);
  });
});

describe('hxlHas', () => {
  const tag = parseHxlTag('#affected+ind+idps')!;

  it('matches whatever the attribute order, when all pattern attributes are present', () => {
    expect(hxlHas(tag, '#affected+idps')).toBe(true);
    expect(hxlHas(tag, '#affected+idps+ind')).toBe(true);
    expect(hxlHas(tag, '#affected')).toBe(true);
  });

  it('does not match another tag or a missing attribute', () => {
    expect(hxlHas(tag, '#affected+idps+hh')).toBe(false);
    expect(hxlHas(tag, '#population+idps')).toBe(false);
  });
});

describe('header location', () => {
  it('does not take a lone hashtag title for a hashtag header', () => {
    const found = locateHeader([
      { rowNumber: 1, cells: ['#Mali', '', ''] },
      { rowNumber: 2, cells: ['Région', 'Cercle', 'Nombre de PDI'] },
      { rowNumber: 3, cells: ['#adm1+name', '#adm2+name', '#affected+idps'] },
    ]);
    expect(found).toMatchObject({ headerRowNumber: 2, lastHeaderRowNumber: 3, headers: ['Région', 'Cercle', 'Nombre de PDI'] });
    expect(found?.hxl?.[2]).toMatchObject({ tag: 'affected', attributes: ['idps'] });
  });
});
