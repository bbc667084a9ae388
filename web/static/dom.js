/* global document */
// Small DOM builders: every text goes in through text nodes, never through innerHTML.
const SVG_NS = 'http://www.w3.org/2000/svg';

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: h('td', { class: 'num' }, '61 200'). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element: s('circle', { cx: 1, cy: 2, r: 3 }). */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

const NUMBER = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });

/** 61200 → "61,200". */
export function formatNumber(n) {
  return typeof n === 'number' && Number.isFinite(n) ? NUMBER.format(n) : '–';
}

/** 0.1734 → "17.3%". */
export function formatPercent(f) {
  return typeof f === 'number' && Number.isFinite(f) ? `${(f * 100).toFixed(1)}%` : '–';
}

/** "2020-03-31T10:02:03Z" → "2020-03-31 10:02:03 UTC". */
export function formatDateTime(iso) {
  return typeof iso === 'string' ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : '–';
}
