/** Spreadsheet cell values as the strings a CSV would have held. */

/** Plain decimal notation, no grouping and no exponent: 4000000, 0.0000001. */
export function numberText(n: number): string {
  const text = String(n);
  if (!/e/i.test(text) || !Number.isFinite(n)) return text;
  return n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

function dateText(date: Date): string {
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 10);
}

function objectText(value: Record<string, unknown>): string {
  if (Array.isArray(value.richText)) return value.richText.map((run: { text?: unknown }) => String(run.text ?? '')).join('');
  if ('result' in value) return cellText(value.result);
  if ('formula' in value || 'sharedFormula' in value) return '';
  if ('text' in value) return cellText(value.text);
  if ('error' in value) return String(value.error);
  return JSON.stringify(value);
}

/** Numbers as plain decimals, dates as YYYY-MM-DD, rich text as text, formulas as their result, empty as ''. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value);
  if (typeof value === 'object') return objectText(value as Record<string, unknown>);
  return String(value);
}
