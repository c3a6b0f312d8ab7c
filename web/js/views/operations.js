// views/operations.js: the operators' console beyond members and lines: the network's
// policy (the figures operators change most; the rest is kept as it is), its side of
// each gateway (freeze or thaw it, change its exposure limit and fee), and disputed
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
  const p = network.policy, id = network.id;
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

export async function gatewaysForm(sodium, key, network, refresh) {
  const answer = await get('/gateways', { network: network.id });
  const mine = answer.gateways.filter((g) => g.status === 'open');
  if (mine.length === 0) return null;
  return h('div', { class: 'card-part', id: `gateways-${network.id}` }, h('h3', {}, 'Gateways'),
    h('ul', { class: 'plain' }, mine.map((g) => {
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
            gateway_id: g.id, network_id: network.id,
            side: { fee_bps: ours.fee_bps, limit, min_partner_rtd_bps: ours.min_partner_rtd_bps, max_partner_default_bps: ours.max_partner_default_bps },
          }, `Set the limit of gateway ${g.id} to ${money(limit, network)}`, refresh);
        }));
    })));
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
