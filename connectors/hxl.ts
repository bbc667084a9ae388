/** HXL hashtags (`#affected+idps+ind`): what a column means, whatever the language of its header. */
export interface HxlTag {
  /** The hashtag without '#', lowercase, e.g. 'affected'. */
  tag: string;
  /** Attributes without '+', lowercase, sorted. */
  attributes: string[];
  /** The cell as found. */
  raw: string;
}

const HASHTAG = /^#([a-z][a-z0-9_]*)((?:\+[a-z][a-z0-9_]*)*)$/;

/** Parses one cell as a hashtag, tolerating spaces around '+' ('#adm1 +name'); null when it is not one. */
export function parseHxlTag(cell: string): HxlTag | null {
  const compact = cell.trim().toLowerCase().replace(/\s*\+\s*/g, '+');
  const match = HASHTAG.exec(compact);
  if (!match) return null;
  const attributes = (match[2] ?? '').split('+').filter((a) => a !== '');
  return { tag: match[1] ?? '', attributes: [...new Set(attributes)].sort(), raw: cell.trim() };
}

/** A hashtag row: at least half of its non-empty cells are hashtags, and at least one is. */
export function isHxlRow(cells: string[]): boolean {
  const filled = cells.filter((c) => c.trim() !== '');
  const tags = filled.filter((c) => parseHxlTag(c) !== null).length;
  return tags > 0 && tags * 2 >= filled.length;
}

/** True when the tag equals the pattern's tag and carries all its attributes, in any order. */
export function hxlHas(tag: HxlTag, pattern: string): boolean {
  const wanted = parseHxlTag(pattern.trim().startsWith('#') ? pattern : `#${pattern.trim()}`);
  if (!wanted) throw new TypeError(`hxlHas: expected a hashtag pattern such as '#affected+idps', found "${pattern}"`);
  return wanted.tag === tag.tag && wanted.attributes.every((a) => tag.attributes.includes(a));
}
