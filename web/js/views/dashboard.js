// views/dashboard.js: a network's health for anyone, without a key: today's figures
// (supply, debt, the pool and its reserve-to-debt ratio, fees) and, over the
// completed health periods the node's index keeps (GET .../health), plots of supply
// and debt, utilisation and velocity, defaults and lost debt, RTD, concentration.
// Each plot keeps the figures it draws on its element (`tallyPlot.data`), which the
// browser tests compare with the API's.
import uPlot from 'uplot';
import { get } from '../api.js';
import { formatAmount } from '../amount.js';
import { field, h, notice, replace } from '../dom.js';
import { networksById } from '../networks.js';

const PERIODS_MAX = 500;

function percent(bps) {
  return `${(bps / 100).toFixed(2)}%`;
}

/** The plots: [id, title, unit ('amount' or 'bps'), [[label, field], ...]]. */
const PLOTS = [
  ['supply-debt', 'Supply and member debt', 'amount', [['supply', 'supply'], ['member debt', 'member_debt']]],
  ['utilisation-velocity', 'Utilisation and velocity', 'bps', [['utilisation', 'utilisation_bps'], ['velocity', 'velocity_bps']]],
  ['defaults', 'Defaults and lost debt', 'amount', [['written off', 'written_off'], ['lost debt', 'lost_debt']]],
  ['rtd', 'Reserve to debt', 'bps', [['RTD', 'rtd_bps']]],
  ['concentration', 'Concentration (largest debt / supply)', 'bps', [['concentration', 'concentration_bps']]],
];

function plot(id, title, unit, series, periods, network, width) {
  const data = [periods.map((p) => p.ended_at), ...series.map(([, key]) => periods.map((p) => p[key]))];
  const value = unit === 'amount'
    ? (v) => (v === null ? '' : `${formatAmount(BigInt(Math.round(v)), network.decimals)}`)
    : (v) => (v === null ? '' : percent(v));
  const box = h('figure', { class: 'plot', id: `plot-${id}` }, h('figcaption', {}, title, unit === 'amount' ? ` (${network.unit})` : ''));
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
  const figures = h('dl', { class: 'figures', id: 'figures' },
    [['Members', record.members], ['Supply', money(record.supply)], ['Debt', money(record.debt)],
      ['Lost debt', money(record.lost_debt)], ['Fees collected', money(record.fees)],
      ['Pool reserve (primary)', pool.primary !== undefined ? String(pool.primary) : 'none'],
      ['Reserve to debt', pool.rtd_bps !== undefined ? `${percent(pool.rtd_bps)} (target ${percent(pool.target_rtd_bps)})` : 'no pool']]
      .map(([t, d]) => h('div', {}, h('dt', {}, t), h('dd', {}, String(d)))));
  const width = Math.min(760, Math.max(300, box.clientWidth || 340) - 16);
  replace(box, h('h2', {}, network.name, ' ', h('small', {}, network.unit)), figures,
    periods.length === 0
      ? notice('info', `No health period has ended yet: the first ends ${new Date(record.health_running.ends_at * 1000).toLocaleDateString()}.`)
      : h('div', { class: 'plots' }, PLOTS.map(([id, title, unit, series]) => plot(id, title, unit, series, periods, network, width))));
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
  replace(main, h('h1', {}, 'Dashboard'), field('Network', select), box);
  await showNetwork(box, chosen);
}
