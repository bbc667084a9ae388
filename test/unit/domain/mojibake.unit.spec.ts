import { describe, expect, it } from 'vitest';
import { repairMojibake } from '../../../domain/mojibake.js';

const WORDS = ['Ségou', 'Diré', 'Ménaka', 'Tidermène', 'Pêche', 'Noël', 'à', 'Château', 'Dioïla', 'Abeïbara', 'Île', 'Côte', 'Dû', 'Français', 'Région', 'ÉTÉ', 'Août'];

/** What a UTF-8 text looks like once read as Latin-1 (Node decodes windows-1252 that way). */
function misread(text: string, encoding: string): string {
  return new TextDecoder(encoding).decode(new TextEncoder().encode(text));
}

describe('repairMojibake', () => {
  it.each([
    ['SÃ©gou', 'Ségou'],
    ['S├ęgou', 'Ségou'],
    ['S├®gou', 'Ségou'],
    ['S├⌐gou', 'Ségou'],
    ['MÃ©naka', 'Ménaka'],
    ['DioÃ¯la', 'Dioïla'],
    ['RÃ©gion de SÃ©gou', 'Région de Ségou'],
    ['Nombre de PDI Â\u00a0total', 'Nombre de PDI \u00a0total'],
    ['Ã‰TÃ‰', 'ÉTÉ'],
    ['ÃŽle', 'Île'],
    ['Tiderm├¿ne', 'Tidermène'],
    ['Tiderm├Ęne', 'Tidermène'],
    ['Dio├»la', 'Dioïla'],
    ['Fran├ºais', 'Français'],
    ['Fran├žais', 'Français'],
    ['Ao├╗t', 'Août'],
    ['C├┤te', 'Côte'],
    ['Ch├óteau', 'Château'],
    ['├ëT├ë', 'ÉTÉ'],
    ['P├¬che', 'Pêche'],
    ['No├½l', 'Noël'],
    ['├á Bamako', 'à Bamako'],
    ['├« ', 'î '],
  ])('repairs %j as %j', (broken, fixed) => {
    expect(repairMojibake(broken)).toBe(fixed);
  });

  it.each(WORDS)('repairs %j read as Windows-1252', (word) => {
    expect(repairMojibake(misread(word, 'windows-1252'))).toBe(word);
  });

  it.each(WORDS)('keeps %j when it is well formed', (word) => {
    expect(repairMojibake(word)).toBe(word);
  });

  it.each(['Gao', 'Tin-Essako', 'Ã la carte', 'Ã', '├─ tree', ''])('keeps %j, which does not decode as UTF-8', (text) => {
    expect(repairMojibake(text)).toBe(text);
  });
});
