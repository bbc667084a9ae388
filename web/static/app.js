/* global document, fetch, window, history */
// The explorer: pick an indicator, a country (Mali by default) and a place, see each source's line,
// the reconciled line and the discrepancies; click a point for its provenance. Everything comes
// from the read-only API.
import { formatDateTime, formatNumber, formatPercent, h } from './dom.js';
import { colorOf, DISCREPANCY_COLOR, refDate, renderChart } from './chart.js';

const $ = (id) => document.getElementById(id);
const ui = {
  indicator: $('indicator'),
  country: $('country'),
  area: $('area'),
  subtitle: $('subtitle'),
  status: $('status'),
  chart: $('chart'),
  legend: $('legend'),
  provenance: $('provenance'),
  discrepancies: $('discrepancies'),
  count: $('discrepancy-count'),
};
const DEFAULT_COUNTRY = { iso3: 'MLI', name: 'Mali' };
const state = { indicators: [], countries: [], areaNames: new Map(), areaCountry: new Map(), drops: new Map(), colors: new Map(), open: [], seq: 0 };

/** GETs an API path; throws an Error whose message names the path and the server's reason. */
async function api(path) {
  let res;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' } });
  } catch (err) {
    throw new Error(`${path}: the API did not answer (${err.message})`);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`${path}: expected JSON, found HTTP ${res.status} ${res.statusText}`);
  }
  if (!res.ok) throw new Error(`${path}: ${body?.error ?? `HTTP ${res.status}`}`);
  return body;
}

function status(text, kind = 'info') {
  ui.status.textContent = text;
  ui.status.className = `status ${kind}`;
  ui.status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, String(err?.message ?? err));
}

const areaLabel = (pcode) => (state.areaNames.has(pcode) ? `${state.areaNames.get(pcode)} (${pcode})` : pcode);
const indicatorOf = (code) => state.indicators.find((i) => i.code === code);

// ---------------------------------------------------------------------------------------------
// Choices

function fillIndicators(indicators, wanted) {
  state.indicators = indicators;
  const option = (i) => h('option', { value: i.code }, `${i.code} — ${i.label}`);
  const withFigures = indicators.filter((i) => i.hasFigures);
  const without = indicators.filter((i) => !i.hasFigures);
  ui.indicator.replaceChildren(
    withFigures.length ? h('optgroup', { label: 'With figures' }, withFigures.map(option)) : null,
    without.length ? h('optgroup', { label: 'No figures yet' }, without.map(option)) : null,
  );
  ui.indicator.value = indicatorOf(wanted) ? wanted : (withFigures[0] ?? indicators[0])?.code ?? '';
  ui.indicator.disabled = indicators.length === 0;
}

/** Countries with figures (from /api/countries), Mali always among them: it is the default. */
function fillCountries(countries, wanted) {
  state.countries = countries.some((c) => c.iso3 === DEFAULT_COUNTRY.iso3) ? countries : [{ ...DEFAULT_COUNTRY, areas: [] }, ...countries];
  state.areaNames = new Map(state.countries.flatMap((c) => [[c.iso3, c.name], ...c.areas.map((a) => [a.pcode, a.name])]));
  state.areaCountry = new Map(state.countries.flatMap((c) => [[c.iso3, c.iso3], ...c.areas.map((a) => [a.pcode, c.iso3])]));
  ui.country.replaceChildren(...state.countries.map((c) => h('option', { value: c.iso3 }, `${c.name} (${c.iso3})`)));
  ui.country.value = state.countries.some((c) => c.iso3 === wanted) ? wanted : DEFAULT_COUNTRY.iso3;
  ui.country.disabled = false;
}

/** The chosen country's areas with figures: the country itself (national) first, then by P-code. */
function fillAreas(wanted) {
  const country = state.countries.find((c) => c.iso3 === ui.country.value) ?? { ...DEFAULT_COUNTRY, areas: [] };
  const areas = country.areas.some((a) => a.pcode === country.iso3) ? [...country.areas] : [{ pcode: country.iso3, name: country.name, level: 0 }, ...country.areas];
  areas.sort((a, b) => a.level - b.level || a.pcode.localeCompare(b.pcode));
  ui.area.replaceChildren(...areas.map((a) => h('option', { value: a.pcode }, a.pcode === country.iso3 ? `${country.name} (${country.iso3}, national)` : `${a.name} (${a.pcode})`)));
  ui.area.value = areas.some((a) => a.pcode === wanted) ? wanted : areas[0].pcode;
  ui.area.disabled = false;
  ui.subtitle.textContent = `${country.name} · explorer`;
}

// ---------------------------------------------------------------------------------------------
// Chart

function renderLegend(entries) {
  ui.legend.replaceChildren(
    ...entries.map((e) =>
      h('li', { class: `legend-item kind-${e.kind}`, 'data-testid': `legend-${e.kind}` },
        h('span', { class: `swatch kind-${e.kind}`, style: `--c: ${e.color}` }, e.kind === 'discrepancy' ? '▲' : ''),
        `${e.label} `, h('span', { class: 'muted' }, `(${e.count})`)),
    ),
  );
}

async function showSeries() {
  const indicator = ui.indicator.value;
  const area = ui.area.value;
  const seq = ++state.seq;
  if (!indicator) return;
  const url = new URL(window.location.href);
  url.searchParams.set('indicator', indicator);
  url.searchParams.set('country', ui.country.value);
  url.searchParams.set('area', area);
  history.replaceState(null, '', url);
  markCurrentDiscrepancies();
  const info = indicatorOf(indicator);
  status(`Loading ${indicator} in ${areaLabel(area)}…`);
  ui.chart.setAttribute('aria-busy', 'true');
  try {
    const data = await api(`/api/series?indicator=${encodeURIComponent(indicator)}&area=${encodeURIComponent(area)}`);
    if (seq !== state.seq) return;
    const sources = Object.keys(data.bySource);
    for (const src of [...sources].sort()) colorOf(state.colors, src);
    if (data.reconciled.length === 0 && sources.length === 0) {
      ui.chart.replaceChildren(h('p', { class: 'empty', 'data-testid': 'chart-empty' }, `No figures for ${indicator} in ${areaLabel(area)} yet.`));
      ui.legend.replaceChildren();
      status(`No figures for ${indicator} in ${areaLabel(area)}.`, 'warn');
      return;
    }
    renderLegend(renderChart(ui.chart, data, { unit: info?.unit ?? '', colors: state.colors, onSelect: showProvenance }));
    const dates = new Set(data.reconciled.map(refDate));
    status(
      `${indicator} (${info?.label ?? 'unknown indicator'}) in ${areaLabel(area)}: ${data.reconciled.length} reconciled figure(s) on ${dates.size} date(s), ` +
        `${sources.length} source(s), ${data.discrepancies.filter((d) => d.status === 'open').length} open discrepancy(ies).`,
    );
  } catch (err) {
    if (seq !== state.seq) return;
    ui.chart.replaceChildren(errorBox(err));
    ui.legend.replaceChildren();
    status(`Could not load the series: ${err.message}`, 'error');
  } finally {
    if (seq === state.seq) ui.chart.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------------------------------------
// Provenance

async function dropsById(ids) {
  if (ids.every((id) => state.drops.has(id))) return state.drops;
  try {
    for (const d of await api('/api/drops?limit=10000')) state.drops.set(d.dropId, d);
  } catch {
    // The file name is a courtesy: the table still shows the drop id without it.
  }
  return state.drops;
}

function provenanceTable(observations, drops) {
  return h('table', { class: 'provenance-table', 'data-testid': 'provenance-table' },
    h('thead', {}, h('tr', {}, ['source', 'value', 'drop id', 'file', 'rows', 'recorded at', 'in figure'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {},
      observations.map((o) =>
        h('tr', { class: o.usedInFigure ? 'used' : 'unused', 'data-testid': 'provenance-row' },
          h('td', { class: 'source' }, h('span', { class: 'swatch', style: `--c: ${colorOf(state.colors, o.source)}` }), o.source),
          h('td', { class: 'num' }, formatNumber(o.value), h('span', { class: 'muted' }, ` ${o.unit}`)),
          h('td', {}, h('code', { 'data-testid': 'drop-id', title: o.dropId }, o.dropId.slice(0, 12))),
          h('td', { 'data-testid': 'file' }, drops.get(o.dropId)?.fileName ?? h('span', { class: 'muted' }, 'unknown')),
          h('td', { class: 'num', 'data-testid': 'rows' }, o.rows.join(', ')),
          h('td', {}, formatDateTime(o.recordedAt)),
          h('td', {}, o.usedInFigure ? '✓' : h('span', { class: 'muted', title: 'superseded by a revision or another drop' }, '–')),
        ),
      ),
    ),
  );
}

async function showProvenance(point) {
  ui.provenance.replaceChildren(h('p', { class: 'muted' }, `Loading provenance of ${point.seriesKey}…`));
  try {
    const p = await api(`/api/provenance?series=${encodeURIComponent(point.seriesKey)}`);
    const drops = await dropsById(p.observations.map((o) => o.dropId));
    const f = p.figure;
    ui.provenance.replaceChildren(
      h('p', { class: 'picked' },
        `${point.source ? `${point.source} point` : 'Reconciled point'} on ${point.date}: ${formatNumber(point.value)}. Series `,
        h('code', { 'data-testid': 'series-key' }, p.seriesKey)),
      f
        ? h('p', { class: 'figure-summary' },
            `Reconciled ${formatNumber(f.value)} ${f.unit} from `, h('b', {}, f.chosenSource), ` by rule `, h('code', {}, f.rule),
            `; sources spread ${formatNumber(f.spread.min)}–${formatNumber(f.spread.max)} (${formatPercent(f.spread.relative)}); recorded ${formatDateTime(f.recordedAt)}.`)
        : h('p', { class: 'muted' }, 'No reconciled figure for this series yet.'),
      p.observations.length
        ? provenanceTable(p.observations, drops)
        : h('p', { class: 'empty' }, 'No observations recorded for this series.'),
    );
  } catch (err) {
    ui.provenance.replaceChildren(errorBox(err));
  }
}

// ---------------------------------------------------------------------------------------------
// Discrepancies

function markCurrentDiscrepancies() {
  for (const li of ui.discrepancies.querySelectorAll('[data-testid=discrepancy]')) {
    li.classList.toggle('current', li.dataset.indicator === ui.indicator.value && li.dataset.area === ui.area.value);
  }
}

function discrepancyItem(d) {
  const go = () => {
    if (!indicatorOf(d.indicator)) return;
    ui.indicator.value = d.indicator;
    const country = state.areaCountry.get(d.area);
    if (country && country !== ui.country.value) {
      ui.country.value = country;
      fillAreas(d.area);
    }
    if (![...ui.area.options].some((o) => o.value === d.area)) ui.area.append(h('option', { value: d.area }, areaLabel(d.area)));
    ui.area.value = d.area;
    void showSeries();
  };
  return h('li', { class: 'discrepancy', 'data-testid': 'discrepancy', 'data-indicator': d.indicator, 'data-area': d.area, 'data-id': d.discrepancyId },
    h('div', { class: 'd-head' },
      h('span', { class: 'marker', style: `color: ${DISCREPANCY_COLOR}` }, '▲'),
      h('b', {}, d.indicator), ` · ${areaLabel(d.area)} `,
      h('span', { class: 'cause', 'data-testid': 'cause' }, (d.cause ?? 'unknown cause').replaceAll('_', ' ')),
      d.gap ? h('span', { class: 'gap' }, `gap ${formatNumber(d.gap.absolute)} (${formatPercent(d.gap.relative)}, tolerance ${formatPercent(d.tolerance)})`) : null,
    ),
    h('p', { class: 'explanation', 'data-testid': 'explanation' }, d.explanation),
    h('ul', { class: 'values' },
      d.values.map((v) => h('li', {}, h('span', { class: 'swatch', style: `--c: ${colorOf(state.colors, v.source)}` }), `${v.source}: ${formatNumber(v.value)} on ${refDate(v)}`))),
    h('button', { type: 'button', class: 'link', onclick: go }, 'Show on chart'),
  );
}

async function showDiscrepancies() {
  try {
    state.open = await api('/api/discrepancies?open=true');
    for (const d of state.open) for (const v of d.values) colorOf(state.colors, v.source);
    ui.count.textContent = `(${state.open.length})`;
    ui.discrepancies.replaceChildren(
      ...(state.open.length ? state.open.map(discrepancyItem) : [h('li', { class: 'empty' }, 'No open discrepancies: the sources agree within tolerance.')]),
    );
    markCurrentDiscrepancies();
  } catch (err) {
    ui.count.textContent = '';
    ui.discrepancies.replaceChildren(h('li', {}, errorBox(err)));
  }
}

// ---------------------------------------------------------------------------------------------

async function start() {
  const wanted = new URL(window.location.href).searchParams;
  try {
    const [indicators, countries] = await Promise.all([api('/api/indicators'), api('/api/countries')]);
    fillIndicators(indicators, wanted.get('indicator'));
    const area = wanted.get('area');
    // An area in the address names its country, whatever the country parameter says.
    const areaCountry = countries.find((c) => c.areas.some((a) => a.pcode === area))?.iso3;
    fillCountries(countries, areaCountry ?? wanted.get('country'));
    fillAreas(area);
  } catch (err) {
    status(`Could not reach the API: ${err.message}`, 'error');
    ui.chart.replaceChildren(errorBox(err));
    void showDiscrepancies();
    return;
  }
  ui.indicator.addEventListener('change', () => void showSeries());
  ui.country.addEventListener('change', () => {
    fillAreas(undefined);
    void showSeries();
  });
  ui.area.addEventListener('change', () => void showSeries());
  await showDiscrepancies();
  if (!state.indicators.some((i) => i.hasFigures)) {
    status('No figures yet: ingest a drop (tally ingest FILE --source ID --wait), then reload.', 'warn');
  }
  await showSeries();
}

void start();
