import { describe, expect, it } from 'vitest';
import { MAX_NOTICES, NoticeBook, noticeText } from '../../../domain/notices.js';

describe('NoticeBook', () => {
  it('keeps each kind and detail once, counting the rows it concerns', () => {
    const book = new NoticeBook();
    book.add('name_mismatch', '"Ouest" is not the name of HT01 (West)');
    book.add('name_mismatch', '"Ouest" is not the name of HT01 (West)');
    book.add('ignored_column', '#meta+id maps to nothing', false);
    expect(book.list()).toEqual([
      { kind: 'name_mismatch', detail: '"Ouest" is not the name of HT01 (West)', rows: 2 },
      { kind: 'ignored_column', detail: '#meta+id maps to nothing' },
    ]);
    expect(book.list().map(noticeText)).toEqual(['name_mismatch: "Ouest" is not the name of HT01 (West) (2 rows)', 'ignored_column: #meta+id maps to nothing']);
  });

  it('merges what parse threads collected', () => {
    const book = new NoticeBook();
    book.add('name_mismatch', 'x');
    book.merge([{ kind: 'name_mismatch', detail: 'x', rows: 3 }, { kind: 'country', detail: 'TCD, from the drop' }]);
    expect(book.list()).toEqual([{ kind: 'name_mismatch', detail: 'x', rows: 4 }, { kind: 'country', detail: 'TCD, from the drop' }]);
  });

  it(`caps the list at ${MAX_NOTICES}, saying how many more there were`, () => {
    const book = new NoticeBook();
    for (let i = 0; i < 50; i++) book.add('ignored_column', `column ${i}`, false);
    const list = book.list();
    expect(list).toHaveLength(MAX_NOTICES);
    expect(list.at(-1)).toEqual({ kind: 'ignored_column', detail: 'and 31 more notices' });
  });
});
