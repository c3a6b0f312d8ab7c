// views/holds.js: pending transfers (holds, escrow) in the wallet: money a payer set
// aside for a payee until it is posted (paid, all or part: by the payer or the hold's
// resolver), voided (released back: by the payee or the resolver), or its timeout
// applies the outcome chosen at creation (refund or release). This key's holds in a
// network, what each waits for, the steps it may take, and a form to hold money.
import { get } from '../api.js';
import { decodeAddress } from '../address.js';
import { parseAmount } from '../amount.js';
import { field, formatTime, h, notice, replace } from '../dom.js';
import { maxFee, money } from '../networks.js';
import { signAndShow } from '../sign.js';
import { actionForm, resolveMember } from './wallet.js';

const DAY = 86400;



function holdItem(sodium, key, hold, network, refresh) {
  const me = key.address;
  const resolver = hold.resolver === me;
  const canPost = hold.status === 'open' && (hold.payer === me || resolver);
  const canVoid = hold.status === 'open' && (hold.payee === me || resolver);
  const who = (address, name) => (address === me ? 'you' : name ?? `${address.slice(0, 10)}…`);
  return h('li', { id: `hold-${hold.id}` },
    `Hold ${hold.id}: ${who(hold.payer, hold.payer_name)} for ${who(hold.payee, hold.payee_name)}, ${money(hold.amount, network)} · `,
    h('span', { class: 'status', id: `hold-status-${hold.id}` }, hold.status),
    hold.status === 'open' ? ` · at ${formatTime(hold.timeout)} it is ${hold.outcome === 'release' ? 'paid' : 'refunded'} ` : ' ',
    canPost && actionForm({ class: 'inline' }, [h('button', { type: 'submit', class: 'small', id: `hold-post-${hold.id}` }, 'Pay it')],
      () => signAndShow(sodium, key, 'pending_post', { pending_id: hold.id, amount: BigInt(hold.amount) }, `Pay hold ${hold.id}: ${money(hold.amount, network)} to ${who(hold.payee, hold.payee_name)}`, refresh)),
    canVoid && actionForm({ class: 'inline' }, [h('button', { type: 'submit', class: 'small secondary', id: `hold-void-${hold.id}` }, 'Release it back')],
      () => signAndShow(sodium, key, 'pending_void', { pending_id: hold.id }, `Release hold ${hold.id} back to ${who(hold.payer, hold.payer_name)}`, refresh)));
}

export function holdsSection(sodium, key, membership, network, refresh) {
  const id = network.id;
  const list = h('div', {});
  get(`/networks/${id}/holds`, { member: key.address }).then((answer) => {
    const open = answer.holds.filter((x) => x.status === 'open');
    replace(list, open.length === 0 ? null : [h('h3', {}, 'Money held'), h('ul', { class: 'plain' }, open.map((x) => holdItem(sodium, key, x, network, refresh)))]);
  }, (e) => replace(list, notice('error', e.message)));
  const form = actionForm({ id: `hold-new-${id}`, class: 'hold-new' }, [
    h('h3', {}, 'Hold money for a member'),
    field('For', h('input', { name: 'payee', id: `hold-payee-${id}`, required: true, autocomplete: 'off', placeholder: 'alias or tly1… address' })),
    field(`Amount (${network.unit})`, h('input', { name: 'amount', id: `hold-amount-${id}`, required: true, inputmode: 'decimal', autocomplete: 'off' })),
    field('Days until the timeout', h('input', { name: 'days', type: 'number', min: 1, max: 365, value: 14, required: true })),
    field('At the timeout', h('select', { name: 'outcome' }, h('option', { value: '0' }, 'refund me'), h('option', { value: '1' }, 'pay them'))),
    h('button', { type: 'submit', id: `hold-send-${id}` }, 'Hold it'),
  ], async (data) => {
    const amount = parseAmount(String(data.get('amount')).trim(), network.decimals);
    if (amount === null || amount <= 0n) throw new Error(`the amount is not an amount of ${network.unit}`);
    const payee = await resolveMember(sodium, id, String(data.get('payee')));
    const status = await get('/status');
    const fee = maxFee(network, membership, amount);
    return signAndShow(sodium, key, 'pending_create', {
      network_id: id, payee: decodeAddress(sodium, payee), amount, max_fee: fee, resolver: '00'.repeat(32),
      timeout: BigInt(status.tip_time) + BigInt(Number(data.get('days')) * DAY), outcome: Number(data.get('outcome')),
    }, `Hold ${money(amount, network)} for ${String(data.get('payee')).trim()}`, refresh);
  });
  return h('div', { class: 'holds', id: `holds-${id}` }, list, form);
}

/** This key's pool shares in the network (the proof endpoint's record), or null. */
export async function poolShares(network, address) {
  try {
    const proof = await get(`/proofs/networks/${network.id}/shares/${address}`);
    return proof.record?.amount ?? 0;
  } catch (e) {
    if (e.code === 'NOT_FOUND') return 0;
    throw e;
  }
}
