// views/dashboard.js: a network's health for anyone, without a key: today's figures
// (supply, debt, the pool and its reserve-to-debt ratio, fees) and, over the
// completed health periods the node's index keeps (GET .../health), plots of supply
// and debt, utilisation and velocity, defaults and lost debt, RTD and the pool's three
// parts (primary, buffer, excess: as the block that ended each period left them),
// concentration.
// Each plot keeps the figures it draws on its element (`tallyPlot.data`), which the
// browser tests compare with the API's. Below, the chain's gateways as a graph of
// networks (each line a gateway, with each side's exposure against its limit, also in
// a table) and the history of clearings with what each removed.
import uPlot from 'uplot';
import { get } from '../api.js';
import { formatAmount } from '../amount.js';
import { field, formatTime, h, notice, replace } from '../dom.js';
import { networksById } from '../networks.js';

const PERIODS_MAX = 500;

function percent(bps) {
  return `${(bps / 100).toFixed(2)}%`;
}

/** The plots: [id, title, unit ('amount' of the network, 'reserve' of its pool's asset,
 * or 'bps'), [[label, field (a path: pool.primary)], ...]]. */
const PLOTS = [
  ['supply-debt', 'Supply and member debt', 'amount', [['supply', 'supply'], ['member debt', 'member_debt']]],
  ['utilisation-velocity', 'Utilisation and velocity', 'bps', [['utilisation', 'utilisation_bps'], ['velocity', 'velocity_bps']]],
  ['defaults', 'Defaults and lost debt', 'amount', [['written off', 'written_off'], ['lost debt', 'lost_debt']]],
  ['rtd', 'Reserve to debt', 'bps', [['RTD', 'rtd_bps']]],
  ['pool', 'The pool\'s reserve', 'reserve', [['primary', 'pool.primary'], ['buffer', 'pool.buffer'], ['excess', 'pool.excess']]],
  ['concentration', 'Concentration (largest debt / supply)', 'bps', [['concentration', 'concentration_bps']]],
];

/** A period's figure at a path; null where the period does not have it (a pool's parts
 * the node's index was not given). */
export function figureAt(period, path) {
  const value = path.split('.').reduce((at, part) => (at === null || at === undefined ? null : at[part]), period);
  return value === undefined ? null : value;
}

function plot(id, title, unit, series, periods, network, width, asset) {
  const data = [periods.map((p) => p.ended_at), ...series.map(([, key]) => periods.map((p) => figureAt(p, key)))];
  const decimals = unit === 'reserve' ? asset.decimals : network.decimals;
  const value = unit === 'bps'
    ? (v) => (v === null ? '' : percent(v))
    : (v) => (v === null ? '' : `${formatAmount(BigInt(Math.round(v)), decimals)}`);
  const caption = unit === 'amount' ? ` (${network.unit})` : unit === 'reserve' ? ` (${asset.code}, at each period's end)` : '';
  const box = h('figure', { class: 'plot', id: `plot-${id}` }, h('figcaption', {}, title, caption));
  const colours = ['#2f6f4f', '#b5563b', '#3b6fb5'];
  const chart = new uPlot({
    width, height: 200,
    series: [{}, ...series.map(([label], i) => ({ label, stroke: colours[i], width: 2, value: (u, v) => value(v) }))],
    axes: [{}, { values: (u, splits) => splits.map(value), size: 70 }],
  }, data, box);
  box.tallyPlot = { data, series: series.map(([label, key]) => ({ label, key })), chart };
  return box;
}

async function healthHistory(networkId) {
  const periods = [];
  let before = null;
  while (periods.length < PERIODS_MAX) {
    const answer = await get(`/networks/${networkId}/health`, { before, limit: 500 });
    periods.push(...answer.history.filter((p) => p.known));
    if (!answer.next) break;
    before = answer.next;
  }
  return periods.reverse(); // oldest first, as a plot reads
}

async function showNetwork(box, network) {
  const [record, periods] = await Promise.all([get(`/networks/${network.id}`), healthHistory(network.id)]);
  const money = (v) => `${formatAmount(BigInt(v), network.decimals)} ${network.unit}`;
  const pool = record.pool ?? {};
  const asset = pool.asset ? await get(`/assets/${pool.asset}`).catch(() => null) : null;
  const reserve = (v) => (asset ? `${formatAmount(BigInt(v ?? 0), asset.decimals)} ${asset.code}` : String(v ?? 0));
  const figures = h('dl', { class: 'figures', id: 'figures' },
    [['Members', record.members], ['Supply', money(record.supply)], ['Debt', money(record.debt)],
      ['Lost debt', money(record.lost_debt)], ['Fees collected', money(record.fees)],
      ...(asset ? [['Pool: primary reserve', reserve(pool.primary)], ['Pool: buffer', reserve(pool.buffer)], ['Pool: excess', reserve(pool.excess)],
        ['Reserve to debt', `${percent(pool.rtd_bps)} (target ${percent(pool.target_rtd_bps)})`]] : [['Pool', 'no reserve asset']])]
      .map(([t, d]) => h('div', {}, h('dt', {}, t), h('dd', {}, String(d)))));
  // the view is built off screen (app.js): the width of the page's main, where it goes
  const width = Math.min(760, Math.max(300, (box.clientWidth || document.getElementById('main')?.clientWidth || 340) - 48));
  replace(box, h('h2', {}, network.name, ' ', h('small', {}, network.unit)), figures,
    periods.length === 0
      ? notice('info', `No health period has ended yet: the first ends ${new Date(record.health_running.ends_at * 1000).toLocaleDateString()}.`)
      : h('div', { class: 'plots' }, PLOTS.filter(([, , unit]) => unit !== 'reserve' || asset)
        .map(([id, title, unit, series]) => plot(id, title, unit, series, periods, network, width, asset))));
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes, text = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, String(v));
  if (text !== null) element.textContent = text;
  return element;
}

function side(s) {
  return `${formatAmount(BigInt(s.exposure), s.decimals)} of ${formatAmount(BigInt(s.limit), s.decimals)} ${s.unit}${s.frozen ? ' (frozen)' : ''}`;
}

/** The gateways as a graph: networks on a circle, a line per gateway. */
function gatewayGraph(gateways, networks) {
  const ids = [...new Set(gateways.flatMap((g) => [g.network_a, g.network_b]))];
  const size = 320, centre = size / 2, radius = ids.length > 1 ? 110 : 0;
  const at = new Map(ids.map((id, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / ids.length;
    return [id, { x: centre + radius * Math.cos(angle), y: centre + radius * Math.sin(angle) }];
  }));
  const picture = svg('svg', { viewBox: `0 0 ${size} ${size}`, class: 'graph', role: 'img', 'aria-label': 'The gateways between networks (also in the table below)' });
  for (const g of gateways) {
    const a = at.get(g.network_a), b = at.get(g.network_b);
    picture.append(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: `edge ${g.status}`, 'data-gateway': g.id }));
    picture.append(svg('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 4, class: 'edge-label', 'text-anchor': 'middle' }, `#${g.id}`));
  }
  for (const id of ids) {
    const p = at.get(id);
    picture.append(svg('circle', { cx: p.x, cy: p.y, r: 26, class: 'node' }));
    picture.append(svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle', class: 'node-label' }, networks.get(id)?.unit ?? String(id)));
  }
  const figure = h('figure', { class: 'gateway-graph', id: 'gateway-graph' }, h('figcaption', {}, 'Gateways'), picture);
  figure.tallyGraph = { nodes: ids, edges: gateways.map((g) => [g.id, g.network_a, g.network_b]) };
  return figure;
}

function gatewayTable(gateways, networks) {
  return h('div', { class: 'table-scroll' }, h('table', { id: 'gateways' },
    h('thead', {}, h('tr', {}, ['Gateway', 'Between', 'Rate', 'A’s exposure', 'B’s exposure', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, gateways.map((g) => h('tr', { id: `gateway-${g.id}` },
      h('td', {}, `#${g.id}`), h('td', {}, `${networks.get(g.network_a)?.name} – ${networks.get(g.network_b)?.name}`),
      h('td', {}, `${g.rate_a}:${g.rate_b}`), h('td', { class: 'amount' }, side(g.a)), h('td', { class: 'amount' }, side(g.b)),
      h('td', {}, g.status))))));
}

function clearingTable(clearings, gateways) {
  const byId = new Map(gateways.map((g) => [g.id, g]));
  if (clearings.length === 0) return h('p', {}, 'No clearing yet.');
  return h('div', { class: 'table-scroll' }, h('table', { id: 'clearings' },
    h('thead', {}, h('tr', {}, ['When', 'Block', 'Set off'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, clearings.map((c) => h('tr', {},
      h('td', {}, formatTime(c.time)), h('td', {}, String(c.height)),
      h('td', {}, c.setoffs.map((o) => {
        const g = byId.get(o.gateway);
        return h('div', { class: 'setoff' }, g
          ? `#${o.gateway}: ${formatAmount(BigInt(o.amount_a), g.a.decimals)} ${g.a.unit} and ${formatAmount(BigInt(o.amount_b), g.b.decimals)} ${g.b.unit}`
          : `#${o.gateway}: ${o.amount_a} and ${o.amount_b}`);
      })))))));
}

async function gatewaysSection(networks) {
  const [gateways, clearings] = await Promise.all([get('/gateways'), get('/clearings', { limit: 50 })]);
  if (gateways.gateways.length === 0) return null;
  return h('section', { class: 'card', id: 'gateways-section' }, h('h2', {}, 'Between networks'),
    gatewayGraph(gateways.gateways, networks), gatewayTable(gateways.gateways, networks),
    h('h3', {}, 'Clearings'), clearingTable(clearings.clearings, gateways.gateways));
}

export async function renderDashboard(main, { args }) {
  const networks = await networksById();
  if (networks.size === 0) {
    replace(main, h('h1', {}, 'Dashboard'), notice('info', 'This chain has no network yet.'));
    return;
  }
  const chosen = networks.get(Number(args[0])) ?? networks.values().next().value;
  const select = h('select', { id: 'dashboard-network', onchange: (e) => { location.hash = `#/dashboard/${e.target.value}`; } },
    [...networks.values()].map((n) => h('option', { value: n.id, selected: n.id === chosen.id }, n.name)));
  const box = h('section', { class: 'card dashboard' });
  const between = h('div', {});
  replace(main, h('h1', {}, 'Dashboard'), field('Network', select), box, between);
  await showNetwork(box, chosen);
  const section = await gatewaysSection(networks);
  if (section) replace(between, section);
}
