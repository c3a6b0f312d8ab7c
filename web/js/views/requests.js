// views/requests.js: payment requests (invoices). In the wallet, per network: ask a
// member to be paid (request_create), then show the request's link and its QR code
// for the payer to open; the open requests made of this key (pay them) and by it
// (cancel them). The page #/pay/ID shows one request to its payer with a Pay button.
import { get } from '../api.js';
import { decodeAddress } from '../address.js';
import { parseAmount } from '../amount.js';
import { field, formatTime, h, notice, replace, setFlash } from '../dom.js';
import { selectedKey } from '../keys.js';
import { maxFee, money, networksById } from '../networks.js';
import { qrElement } from '../qr.js';
import { signAndSubmit } from '../sign.js';
import { actionForm, resolveMember } from './wallet.js';

const DAY = 86400;


export function requestLink(id) {
  return `${location.origin}/#/pay/${id}`;
}

function requestShare(id, what) {
  const link = requestLink(id);
  return h('div', { class: 'request-share', id: `request-share-${id}` },
    h('p', {}, `${what}: request ${id}. The payer opens this link, or scans the code:`),
    h('p', {}, h('a', { href: link, class: 'request-link' }, link)),
    qrElement(link, `QR code of the link to pay request ${id}`));
}

async function payRequest(sodium, key, request, network, membership, refresh) {
  const fee = maxFee(network, membership, request.amount);
  const what = `Pay request ${request.id}: ${money(request.amount, network)} to ${request.payee_name ?? request.payee}` +
    (fee > 0n ? ` (fees at most ${money(fee, network)})` : '');
  const status = await signAndSubmit(sodium, key, 'request_pay', { request_id: request.id, max_fee: fee }, what);
  setFlash(`Paid: ${what}, in block ${status.height ?? '?'}.`);
  await refresh();
  return null;
}

/** The requests part of a network's card in the wallet. */
export function requestsSection(sodium, key, membership, network, refresh) {
  const id = network.id;
  const box = h('div', { class: 'requests', id: `requests-${id}` });
  const ask = actionForm({ id: `request-${id}`, class: 'request-new' }, [
    h('h3', {}, 'Ask to be paid'),
    field('From', h('input', { name: 'payer', id: `request-payer-${id}`, required: true, autocomplete: 'off', placeholder: 'alias or tly1… address' })),
    field(`Amount (${network.unit})`, h('input', { name: 'amount', id: `request-amount-${id}`, required: true, inputmode: 'decimal', autocomplete: 'off' })),
    field('For', h('input', { name: 'memo', id: `request-memo-${id}`, maxlength: 256, autocomplete: 'off' })),
    field('Days to pay', h('input', { name: 'days', type: 'number', min: 1, max: 366, value: 30, required: true })),
    h('button', { type: 'submit', id: `request-send-${id}` }, 'Send the request'),
  ], async (data) => {
    const amount = parseAmount(data.get('amount').trim(), network.decimals);
    if (amount === null || amount <= 0n) throw new Error(`the amount is not an amount of ${network.unit}`);
    const payer = await resolveMember(sodium, id, data.get('payer'));
    const status = await get('/status');
    const expiry = BigInt(status.tip_time) + BigInt(Number(data.get('days')) * DAY);
    const what = `Ask ${data.get('payer').trim()} for ${money(amount, network)}`;
    const done = await signAndSubmit(sodium, key, 'request_create', {
      network_id: id, payer: decodeAddress(sodium, payer), amount, expiry, memo: data.get('memo'),
    }, what);
    return requestShare(done.result.created_id, `Sent: ${what}`);
  });
  const list = h('div', {});
  get(`/networks/${id}/requests`, { member: key.address }).then((answer) => {
    const open = answer.requests.filter((r) => r.status === 'open');
    const mine = open.filter((r) => r.payer === key.address), theirs = open.filter((r) => r.payee === key.address);
    replace(list,
      mine.length > 0 && h('div', {}, h('h3', {}, 'Asked of you'), h('ul', { class: 'plain' }, mine.map((r) => h('li', { id: `asked-${r.id}` },
        `${r.payee_name ?? r.payee} asks ${money(r.amount, network)}`, r.memo ? ` for “${r.memo}”` : '', ` (until ${formatTime(r.expiry)}) `,
        actionForm({ class: 'inline' }, [h('button', { type: 'submit', class: 'small', id: `request-pay-${r.id}` }, 'Pay')],
          () => payRequest(sodium, key, r, network, membership, refresh)))))),
      theirs.length > 0 && h('div', {}, h('h3', {}, 'Your open requests'), h('ul', { class: 'plain' }, theirs.map((r) => h('li', {},
        `${r.payer_name ?? r.payer}: ${money(r.amount, network)}`, r.memo ? ` for “${r.memo}”` : '', ' ',
        h('a', { href: requestLink(r.id) }, 'link'), ' ',
        actionForm({ class: 'inline' }, [h('button', { type: 'submit', class: 'small secondary' }, 'Cancel')], async () => {
          await signAndSubmit(sodium, key, 'request_cancel', { request_id: r.id }, `Cancel request ${r.id}`);
          setFlash(`Request ${r.id} is cancelled.`);
          await refresh();
          return null;
        }))))));
  }, (e) => replace(list, notice('error', e.message)));
  return replace(box, list, ask);
}

/** #/pay/ID: one request, shown to whoever opens its link. */
export async function renderPayRequest(main, { sodium, args, refresh }) {
  const request = await get(`/requests/${encodeURIComponent(args[0] ?? '')}`);
  const network = (await networksById()).get(request.network);
  const key = selectedKey();
  const head = [h('h1', {}, `Request ${request.id}`),
    h('dl', { class: 'figures' },
      h('div', {}, h('dt', {}, 'From'), h('dd', {}, request.payee_name ?? request.payee)),
      h('div', {}, h('dt', {}, 'Amount'), h('dd', { id: 'request-amount' }, money(request.amount, network))),
      h('div', {}, h('dt', {}, 'For'), h('dd', {}, request.memo || '—')),
      h('div', {}, h('dt', {}, 'Status'), h('dd', { id: 'request-status' }, request.status)))];
  let action;
  if (request.status !== 'open') action = notice('info', `This request is ${request.status}.`);
  else if (!key) action = notice('info', 'Make or import your key in the wallet to pay it.');
  else if (key.address !== request.payer) action = notice('warn', `It asks ${request.payer_name ?? request.payer}, not your key '${key.name}'.`);
  else {
    const membership = await get(`/networks/${network.id}/accounts/${key.address}`);
    action = actionForm({ id: 'request-pay' }, [h('button', { type: 'submit', id: 'request-pay-send' }, `Pay ${money(request.amount, network)}`)],
      () => payRequest(sodium, key, request, network, membership, refresh));
  }
  replace(main, head, h('section', { class: 'card' }, action));
}
