/**
 * JSON API drops: the DTM v3 envelope, a UNHCR page, an "api-drop" written by `fetchApiDrop`
 * (its responses in order), or a plain array of objects. One row per item.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DropUnusableError } from '../domain/errors.js';
import { decodeText } from './detect.js';
import type { RawRow, RawTable } from './table.js';

type Item = Record<string, unknown>;

function isObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The DTM message list, for a refused envelope. */
export function dtmErrors(body: Item): string {
  const messages = Array.isArray(body.errorMessages) ? body.errorMessages.map(String) : [];
  return messages.length > 0 ? messages.join('; ') : 'no error message given';
}

/**
 * A DTM v3 envelope whose `totalRecordsCount` is not the length of its `result` (v3 answers in one
 * response, no paging, so they are equal): what to say about it, or undefined when they agree.
 */
export function dtmCountMismatch(body: unknown): { why: string; expected: string; found: string } | undefined {
  if (!isObject(body) || !Array.isArray(body.result) || typeof body.totalRecordsCount !== 'number') return undefined;
  const total = body.totalRecordsCount;
  const held = body.result.length;
  if (total === held) return undefined;
  return {
    why: `the DTM envelope says totalRecordsCount ${total} but its result holds ${held} items (an incomplete answer: v3 sends every record at once)`,
    expected: `${total} items in result`,
    found: `${held} items`,
  };
}

/** The items of one response body, whatever its shape. */
function itemsOf(body: unknown, where: string, fileName: string): unknown[] {
  if (Array.isArray(body)) return body;
  if (isObject(body) && body.isSuccess === false) {
    throw new DropUnusableError(`${where}: the API refused the request (isSuccess false): ${dtmErrors(body)}`, fileName);
  }
  const count = dtmCountMismatch(body);
  if (count) throw new DropUnusableError(`${where}: ${count.why}`, fileName, { expected: count.expected, found: count.found });
  if (isObject(body) && Array.isArray(body.result)) return body.result;
  if (isObject(body) && Array.isArray(body.items)) return body.items;
  const found = isObject(body) ? `an object with keys ${Object.keys(body).slice(0, 8).join(', ') || '(none)'}` : typeof body;
  throw new DropUnusableError(`${where}: expected a DTM envelope {result}, a UNHCR page {items} or an array, found ${found}`, fileName);
}

function allItems(body: unknown, fileName: string): unknown[] {
  if (isObject(body) && body.kind === 'api-drop') {
    if (!Array.isArray(body.responses)) throw new DropUnusableError(`${fileName}: expected "responses" to be an array in an api-drop`, fileName);
    return body.responses.flatMap((response, i) => itemsOf(response, `${fileName} response ${i + 1}`, fileName));
  }
  return itemsOf(body, fileName, fileName);
}

function cellOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function checkedItems(items: unknown[], fileName: string): Item[] {
  return items.map((item, i) => {
    if (isObject(item)) return item;
    throw new DropUnusableError(`${fileName} item ${i + 1}: expected an object, found ${JSON.stringify(item)?.slice(0, 40)}`, fileName);
  });
}

function headersOf(items: Item[]): string[] {
  const headers = new Set<string>();
  for (const item of items) for (const key of Object.keys(item)) headers.add(key);
  return [...headers];
}

async function* rowsOf(items: Item[], headers: string[]): AsyncGenerator<RawRow> {
  for (const [i, item] of items.entries()) {
    const cells = headers.map((h) => cellOf(item[h]));
    if (cells.some((c) => c.trim() !== '')) yield { rowNumber: i + 1, cells };
  }
}

/** The columns whose cell is the same non-empty text in every item, by header. */
function sameInEveryRow(items: Item[], headers: string[]): Record<string, string> {
  const same: Record<string, string> = {};
  if (items.length === 0) return same;
  for (const h of headers) {
    const first = cellOf(items[0]![h]).trim();
    if (first !== '' && items.every((item) => cellOf(item[h]).trim() === first)) same[h] = first;
  }
  return same;
}

/** Deeper than this, a drop is no API response, and walking it (JSON.stringify of a cell) would overflow the stack. */
export const MAX_JSON_DEPTH = 64;

/** How deep the text's arrays and objects nest, counted on the text (brackets outside strings); stops once past `limit`. */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length && deepest <= limit; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

function parseJson(text: string, fileName: string): unknown {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    const expected = `JSON nested at most ${MAX_JSON_DEPTH} levels deep (an API response)`;
    throw new DropUnusableError(`${fileName}: expected ${expected}, found deeper nesting: the parser cannot walk it`, fileName, { expected, found: `more than ${MAX_JSON_DEPTH} levels` });
  }
  try {
    return JSON.parse(text.replace(/^\ufeff/, ''));
  } catch (error) {
    throw new DropUnusableError(`${fileName} is not valid JSON: ${(error as Error).message}`, fileName);
  }
}

/** The query parameters of the request an api-drop answers (its `url`), by name; undefined for any other drop. */
function requestOf(body: unknown): Record<string, string> | undefined {
  if (!isObject(body) || body.kind !== 'api-drop' || typeof body.url !== 'string') return undefined;
  try {
    return Object.fromEntries(new URL(body.url).searchParams);
  } catch {
    return undefined;
  }
}

/** headers: the union of item keys in first-seen order; rowNumber: the item's 1-based index across pages. */
export async function readJsonDrop(path: string, opts: { fileName?: string } = {}): Promise<RawTable> {
  const fileName = opts.fileName ?? basename(path);
  const text = decodeText(await readFile(path));
  if (text.trim() === '') throw new DropUnusableError(`${fileName} is empty`, fileName);
  const body = parseJson(text, fileName);
  const items = checkedItems(allItems(body, fileName), fileName);
  const headers = headersOf(items);
  const request = requestOf(body);
  return {
    fileName,
    format: 'json',
    headers,
    headerRowNumber: 0,
    meta: { encoding: 'utf-8', sameInEveryRow: sameInEveryRow(items, headers), ...(request ? { request } : {}) },
    rows: { [Symbol.asyncIterator]: () => rowsOf(items, headers) },
  };
}
