import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { detectDelimiter, detectEncoding, detectFormat } from '../../../connectors/detect.js';
import { DropUnusableError } from '../../../domain/errors.js';
import { fixture } from './support.js';

function refusal(head: Buffer, fileName = 'drop.csv'): DropUnusableError {
  try {
    detectFormat(head, fileName);
  } catch (error) {
    if (error instanceof DropUnusableError) return error;
    throw error;
  }
  throw new Error('expected detectFormat to refuse the drop');
}

describe('detectFormat', () => {
  it('tells xlsx by its zip signature, json by its first character, csv otherwise', () => {
    expect(detectFormat(readFileSync(fixture('ministere-retours-2019.xlsx')), 'm.xlsx')).toBe('xlsx');
    expect(detectFormat(Buffer.from('\ufeff  \n[{"a":1}]'), 'a.json')).toBe('json');
    expect(detectFormat(readFileSync(fixture('dtm-api-v3.json')), 'd.json')).toBe('json');
    expect(detectFormat(readFileSync(fixture('cmp-juillet-2019-cp1252.csv')), 'c.csv')).toBe('csv');
  });

  it('refuses an empty drop in one line naming the file', () => {
    const error = refusal(Buffer.alloc(0), 'empty.csv');
    expect(error.message).toBe('empty.csv is empty');
    expect(error.name).toBe('DropUnusableError');
    expect(error.fileName).toBe('empty.csv');
  });

  it('refuses binary bytes in one line', () => {
    const error = refusal(readFileSync(fixture('binary.bin')), 'binary.bin');
    expect(error.message).toMatch(/^binary\.bin is binary/);
    expect(error.message).not.toContain('\n');
  });

  it('names a PDF and a legacy .xls for what they are', () => {
    expect(refusal(Buffer.from('%PDF-1.7\n%\xe2\xe3'), 'r.pdf').message).toContain('is a PDF');
    expect(refusal(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]), 'r.xls').message).toContain('.xls');
  });
});

describe('detectEncoding', () => {
  it('finds the byte order mark', () => {
    expect(detectEncoding(readFileSync(fixture('cmp-utf8-bom.csv')))).toBe('utf-8-bom');
  });

  it('takes valid UTF-8 as UTF-8, mojibake included', () => {
    expect(detectEncoding(readFileSync(fixture('dtm-mali-r47-hxl.csv')))).toBe('utf-8');
    expect(detectEncoding(readFileSync(fixture('mojibake.csv')))).toBe('utf-8');
  });

  it('falls back to Windows-1252 for real cp1252 bytes', () => {
    expect(detectEncoding(readFileSync(fixture('cmp-juillet-2019-cp1252.csv')))).toBe('windows-1252');
  });

  it('accepts a UTF-8 sequence cut by the end of the sample', () => {
    const cut = Buffer.from('Ségou', 'utf8').subarray(0, 2);
    expect(detectEncoding(cut)).toBe('utf-8');
    expect(detectEncoding(iconv.encode('Ménaka;Ségou', 'win1252'))).toBe('windows-1252');
  });
});

describe('detectDelimiter', () => {
  it('finds commas in the DTM file, quoted commas aside', () => {
    expect(detectDelimiter(readFileSync(fixture('dtm-mali-r47-hxl.csv'), 'utf8'))).toBe(',');
  });

  it('finds semicolons below a title line, even with decimal commas', () => {
    const text = 'Commission Mouvements de Populations - rapport de juillet 2019;;;\nRégion;Cercle;Taux;Date\nMopti;Djenné;1,5;31/07/2019\nGao;Gao;2,25;31/07/2019\n';
    expect(detectDelimiter(text)).toBe(';');
  });

  it('finds tabs', () => {
    expect(detectDelimiter('Région\tCercle\tNombre de PDI\nMopti\tDjenné, centre\t4 310\n')).toBe('\t');
  });

  it('defaults to a comma when no delimiter is present', () => {
    expect(detectDelimiter('une seule colonne\n')).toBe(',');
  });
});
