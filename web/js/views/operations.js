// views/operations.js: the operators' console beyond members and lines: the network's
// policy (the figures operators change most; the rest is kept as it is), its side of
// each gateway (freeze or thaw it, change its exposure limit), gateways proposed to
// it (accepted on their terms, repeated) and proposing one to another network, and disputed
// marketplace orders (split between seller and buyer). Changes that touch others'
// money (a higher fee, a lower cap, ...) are announced by the chain and take effect
// after the network's notice: the page says so from the node's answer.
import { get } from '../api.js';
import { formatAmount, parseAmount } from '../amount.js';
import { field, h, notice, replace } from '../dom.js';
import { money } from '../networks.js';
import { policyForEncoding } from '../policy.js';
import { signAndShow } from '../sign.js';
import { actionForm } from './wallet.js';


function percentToBps(text, what) {
  const bps = parseAmount(String(text).trim(), 2);
  if (bps === null || bps < 0n || bps > 10000n) throw new Error(`${what} is a percentage from 0 to 100, like 1.5`);
  return Number(bps);
}


export function policyForm(sodium, key, network, refresh) {
  // An update states the whole policy wanted: starting from what is announced keeps
  // a waiting change (a form that left it out would withdraw it).
  const p = network.announced?.policy ?? network.policy, id = network.id;
  const amount = (v) => formatAmount(BigInt(v), network.decimals);
  return actionForm({ id: `policy-${id}`, class: 'card-part' }, [
    h('h3', {}, 'Policy'),
    network.announced?.policy && notice('info', `Announced, in force from ${new Date(network.announced.at * 1000).toLocaleString()}: ` +
      `base fee ${(network.announced.policy.fee_bps / 100).toFixed(2)}%, risk fee ${(network.announced.policy.default_risk_fee_bps / 100).toFixed(2)}%. ` +
      'A new change replaces it.'),
    field('Base fee of payments (%)', h('input', { name: 'fee', id: `policy-fee-${id}`, value: (p.fee_bps / 100).toFixed(2), inputmode: 'decimal', required: true })),
    field('Risk fee of new lines (%)', h('input', { name: 'risk', value: (p.default_risk_fee_bps / 100).toFixed(2), inputmode: 'decimal', required: true })),
    field(`Line of each new member (${network.unit})`, h('input', { name: 'line', id: `policy-line-${id}`, value: amount(p.default_credit_limit), inputmode: 'decimal', required: true })),
    field(`Largest line (${network.unit})`, h('input', { name: 'max', value: amount(p.max_credit_limit), inputmode: 'decimal', required: true })),
    field(`Highest balance (${network.unit}; 0: none)`, h('input', { name: 'cap', value: amount(p.positive_cap), inputmode: 'decimal', required: true })),
    h('button', { type: 'submit', id: `policy-send-${id}` }, 'Change the policy'),
  ], async (data) => {
    const number = (name, what) => {
      const v = parseAmount(String(data.get(name)).trim(), network.decimals);
      if (v === null || v < 0n) throw new Error(`${what} is not an amount of ${network.unit}`);
      return v;
    };
    const policy = {
      ...policyForEncoding(p), fee_bps: percentToBps(data.get('fee'), 'the base fee'),
      default_risk_fee_bps: percentToBps(data.get('risk'), 'the risk fee'),
      default_credit_limit: number('line', 'the line'), max_credit_limit: number('max', 'the largest line'),
      positive_cap: number('cap', 'the highest balance'),
    };
    return signAndShow(sodium, key, 'policy_update', { network_id: id, policy }, `Change ${network.name}'s policy`, refresh);
  });
}

/** A side's terms as the encoder takes them, from a gateway record's side. */
const sideTerms = (side) => ({ fee_bps: side.fee_bps, limit: side.limit, min_partner_rtd_bps: side.min_partner_rtd_bps, max_partner_default_bps: side.max_partner_default_bps });

/** The terms of a proposed gateway, repeated as they are (an acceptance must name them). */
export const proposedTerms = (g) => ({
  rate_a: g.rate_from_pegs ? 0 : g.rate_a, rate_b: g.rate_from_pegs ? 0 : g.rate_b,
  side_a: sideTerms(g.a), side_b: sideTerms(g.b),
});

function openGateway(sodium, key, network, g, refresh) {
  const ours = g.a.network === network.id ? g.a : g.b, theirs = ours === g.a ? g.b : g.a;
  return h('li', { id: `gateway-side-${g.id}` },
    `#${g.id} with ${theirs.name}: exposure ${money(ours.exposure, network)} of ${money(ours.limit, network)}, fee ${(ours.fee_bps / 100).toFixed(2)}%`,
    ours.frozen ? ' · frozen ' : ' ',
    actionForm({ class: 'inline' }, [h('button', { type: 'submit', class: 'small', id: `gateway-freeze-${g.id}` }, ours.frozen ? 'Thaw' : 'Freeze')],
      () => signAndShow(sodium, key, 'gateway_freeze', { gateway_id: g.id, network_id: network.id, frozen: !ours.frozen },
        `${ours.frozen ? 'Thaw' : 'Freeze'} ${network.name}'s side of gateway ${g.id}`, refresh)),
    actionForm({ class: 'inline', id: `gateway-limit-${g.id}` }, [
      h('input', { name: 'limit', class: 'short', 'aria-label': `New limit of gateway ${g.id} (${network.unit})`, inputmode: 'decimal', required: true, placeholder: 'new limit' }),
      h('button', { type: 'submit', class: 'small secondary', id: `gateway-limit-send-${g.id}` }, 'Set the limit'),
    ], (data) => {
      const limit = parseAmount(String(data.get('limit')).trim(), network.decimals);
      if (limit === null || limit < 0n) throw new Error(`the limit is not an amount of ${network.unit}`);
      return signAndShow(sodium, key, 'gateway_update', {
        gateway_id: g.id, network_id: network.id, side: { ...sideTerms(ours), limit },
      }, `Set the limit of gateway ${g.id} to ${money(limit, network)}`, refresh);
    }));
}

/** What a proposed gateway says, in words: its rate and each side's fee and limit. */
export function termsText(g) {
  const sideText = (side) => `${side.name} takes ${(side.fee_bps / 100).toFixed(2)}% and lets ${money(side.limit, side)} be owed to it`;
  const rate = g.rate_from_pegs ? 'the rate from both pegs' : `${g.rate_a} ${g.a.unit} units are worth ${g.rate_b} ${g.b.unit} units`;
  return `${rate}; ${sideText(g.a)}; ${sideText(g.b)}`;
}

function proposedGateway(sodium, key, network, g, refresh) {
  const ours = g.a.network === network.id ? g.a : g.b, theirs = ours === g.a ? g.b : g.a;
  const text = `#${g.id} with ${theirs.name}, proposed by ${g.a.name}: ${termsText(g)}.`;
  if (ours === g.a) return h('li', { id: `gateway-proposed-${network.id}-${g.id}` }, text, ` Waiting for ${theirs.name}'s operators to accept it.`);
  return h('li', { id: `gateway-proposed-${network.id}-${g.id}` }, text, ' ',
    actionForm({ class: 'inline' }, [h('button', { type: 'submit', class: 'small', id: `gateway-accept-${g.id}` }, 'Accept')],
      () => signAndShow(sodium, key, 'gateway_accept', { gateway_id: g.id, ...proposedTerms(g) },
        `Open gateway ${g.id} between ${g.a.name} and ${g.b.name} on its terms: ${termsText(g)}`, refresh)));
}

function percentField(label, name, id, value) {
  return field(label, h('input', { name, id, value, inputmode: 'decimal', required: true, class: 'short' }));
}

/**
 * The terms of a gateway from this network to another (the rate and both sides' fee
 * and limit), for operators who propose it and for members who put it to a vote:
 * `prefix` names the form's fields, `submit(partner, terms)` does the signing.
 */
export function gatewayTermsForm(network, networks, linked, { prefix, title, button, submit }) {
  const partners = [...networks.values()].filter((n) => n.id !== network.id && !linked.has(n.id));
  if (partners.length === 0) return null;
  const id = network.id;
  return actionForm({ id: `${prefix}-propose-${id}`, class: 'card-part' }, [
    h('h4', {}, title),
    field('With', h('select', { name: 'partner', id: `${prefix}-partner-${id}` }, partners.map((n) => h('option', { value: n.id }, `${n.name} (${n.unit})`)))),
    h('fieldset', {}, h('legend', {}, 'Rate: so many minor units of ours are worth so many of theirs'),
      field(`Of ours (${network.unit})`, h('input', { name: 'rate_a', id: `${prefix}-rate-a-${id}`, type: 'number', min: 1, value: 1, required: true, class: 'short' })),
      field('Of theirs', h('input', { name: 'rate_b', id: `${prefix}-rate-b-${id}`, type: 'number', min: 1, value: 1, required: true, class: 'short' }))),
    h('fieldset', {}, h('legend', {}, `${network.name}'s side`),
      percentField('Fee (%)', 'fee_a', `${prefix}-fee-a-${id}`, '0.50'),
      field(`Most it lets be owed to it (${network.unit})`, h('input', { name: 'limit_a', id: `${prefix}-limit-a-${id}`, inputmode: 'decimal', required: true, class: 'short' }))),
    h('fieldset', {}, h('legend', {}, 'Their side (they accept these terms or propose others)'),
      percentField('Fee (%)', 'fee_b', `${prefix}-fee-b-${id}`, '0.50'),
      field('Most they let be owed to them (their unit)', h('input', { name: 'limit_b', id: `${prefix}-limit-b-${id}`, inputmode: 'decimal', required: true, class: 'short' }))),
    h('button', { type: 'submit', id: `${prefix}-propose-send-${id}` }, button),
  ], (data) => {
    const partner = networks.get(Number(data.get('partner')));
    const rate = (name) => {
      const v = Number(data.get(name));
      if (!Number.isSafeInteger(v) || v < 1) throw new Error('a rate is two whole numbers of at least 1, like 3 and 2');
      return v;
    };
    const limit = (name, n) => {
      const v = parseAmount(String(data.get(name)).trim(), n.decimals);
      if (v === null || v < 0n) throw new Error(`a limit is an amount of ${n.unit}`);
      return v;
    };
    const side = (fee, amount) => ({ fee_bps: fee, limit: amount, min_partner_rtd_bps: 0, max_partner_default_bps: 0 });
    return submit(partner, {
      rate_a: rate('rate_a'), rate_b: rate('rate_b'),
      side_a: side(percentToBps(data.get('fee_a'), 'our fee'), limit('limit_a', network)),
      side_b: side(percentToBps(data.get('fee_b'), 'their fee'), limit('limit_b', partner)),
    });
  });
}

/** The terms in words, for the passphrase dialog. */
export function proposedTermsText(network, partner, terms) {
  return `${terms.rate_a} ${network.unit} units for ${terms.rate_b} ${partner.unit} units, ` +
    `${network.name} lets ${money(terms.side_a.limit, network)} be owed to it, ${partner.name} ${money(terms.side_b.limit, partner)}`;
}

function proposeForm(sodium, key, network, networks, linked, refresh) {
  return gatewayTermsForm(network, networks, linked, {
    prefix: 'gateway', title: 'Propose a gateway', button: 'Propose',
    submit: (partner, terms) => signAndShow(sodium, key, 'gateway_propose', { network_a: network.id, network_b: partner.id, ...terms },
      `Propose a gateway from ${network.name} to ${partner.name}: ${proposedTermsText(network, partner, terms)}`, refresh),
  });
}

/** The networks this one has a gateway with that is not closed. */
export function linkedNetworks(gateways, network) {
  return new Set(gateways.filter((g) => g.status !== 'closed').map((g) => (g.network_a === network.id ? g.network_b : g.network_a)));
}

export async function gatewaysForm(sodium, key, network, networks, refresh) {
  const answer = await get('/gateways', { network: network.id });
  const open = answer.gateways.filter((g) => g.status === 'open');
  const proposed = answer.gateways.filter((g) => g.status === 'proposed');
  const linked = linkedNetworks(answer.gateways, network);
  return h('div', { class: 'card-part', id: `gateways-${network.id}` }, h('h3', {}, 'Gateways'),
    open.length > 0 && h('ul', { class: 'plain' }, open.map((g) => openGateway(sodium, key, network, g, refresh))),
    proposed.length > 0 && h('ul', { class: 'plain', id: `gateways-proposed-${network.id}` },
      proposed.map((g) => proposedGateway(sodium, key, network, g, refresh))),
    proposeForm(sodium, key, network, networks, linked, refresh));
}

export function disputeForm(sodium, key, network, refresh) {
  const id = network.id;
  const out = h('div', {});
  const find = actionForm({ id: `dispute-${id}`, class: 'card-part' }, [
    h('h3', {}, 'Resolve a dispute'),
    field('Order', h('input', { name: 'order', id: `dispute-order-${id}`, type: 'number', min: 1, required: true })),
    h('button', { type: 'submit', id: `dispute-find-${id}` }, 'Show the order'),
  ], async (data) => {
    const order = await get(`/orders/${Number(data.get('order'))}`);
    if (order.network !== id) throw new Error(`order ${order.id} is not ${network.name}'s`);
    if (order.status !== 'disputed') return notice('info', `Order ${order.id} is ${order.status}, not disputed.`);
    replace(out, resolveForm(order));
    return null;
  });
  // outside the first form: a form may not hold another
  const resolveForm = (order) => {
    const why = order.steps.filter((s) => s.type === 'order_dispute').map((s) => s.memo).join(' ');
    return actionForm({ id: `resolve-${order.id}` }, [
      h('p', {}, `Order ${order.id}: ${order.buyer_alias ?? 'the buyer'} ordered ${money(order.amount, network)} from ${order.seller_alias ?? 'the seller'} (held); disputed${why ? `: “${why}”` : ''}.`),
      field('Seller’s share (%)', h('input', { name: 'share', id: `resolve-share-${order.id}`, inputmode: 'decimal', required: true, value: '50' })),
      h('button', { type: 'submit', id: `resolve-send-${order.id}` }, 'Split it'),
    ], (form) => {
      const bps = BigInt(percentToBps(form.get('share'), 'the share'));
      const amount = (BigInt(order.amount) * bps) / 10000n; // the seller's part, rounded down
      return signAndShow(sodium, key, 'order_resolve', { order_id: order.id, amount, memo: '' },
        `Resolve order ${order.id}: ${money(amount, network)} to the seller, ${money(BigInt(order.amount) - amount, network)} back to the buyer`, refresh);
    });
  };
  return h('div', {}, find, out);
}
