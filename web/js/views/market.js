// views/market.js: the marketplace (docs/MARKETPLACE.md). Anyone browses and searches
// a network's listings; with a key that is a member: publish an offer or a want,
// order from an offer (the money is held until the buyer confirms), and follow one's
// orders through each step (the seller accepts or declines; the buyer cancels,
// confirms or disputes), then review the other side once. Disputes are resolved by
// operators in the console (operations.js) or by the members' vote (governance.js).
import { get } from '../api.js';
import { parseAmount } from '../amount.js';
import { field, formatTime, h, notice, replace } from '../dom.js';
import { selectedKey } from '../keys.js';
import { maxFee, money, networksById } from '../networks.js';
import { signAndShow } from '../sign.js';
import { actionForm } from './wallet.js';

const DAY = 86400;
const ORDER_DAYS = 14; // the hold's timeout: the seller has this long to deliver



function orderForm(sodium, key, listing, network, membership, refresh) {
  const ask = listing.price === 0;
  return actionForm({ class: 'order', id: `order-${listing.id}` }, [
    field('Units', h('input', { name: 'quantity', id: `order-quantity-${listing.id}`, type: 'number', min: 1, max: listing.quantity, value: 1, required: true })),
    ask && field(`Price per unit (${network.unit}), as agreed with the seller`, h('input', { name: 'price', required: true, inputmode: 'decimal', autocomplete: 'off' })),
    field('Note to the seller', h('input', { name: 'memo', maxlength: 256, autocomplete: 'off' })),
    h('button', { type: 'submit', id: `order-send-${listing.id}` }, 'Order'),
  ], async (data) => {
    const quantity = Number(data.get('quantity'));
    const unitPrice = ask ? parseAmount(String(data.get('price')).trim(), network.decimals) : BigInt(listing.price);
    if (unitPrice === null || unitPrice <= 0n) throw new Error(`the price is not an amount of ${network.unit}`);
    const amount = unitPrice * BigInt(quantity);
    const fee = maxFee(network, membership, amount);
    const status = await get('/status');
    const what = `Order ${quantity} × “${listing.title}” for ${money(amount, network)}` + (fee > 0n ? ` (fees at most ${money(fee, network)})` : '');
    return signAndShow(sodium, key, 'order_create', {
      listing_id: listing.id, quantity, unit_price: unitPrice, max_fee: fee,
      timeout: BigInt(status.tip_time) + BigInt(ORDER_DAYS * DAY), memo: data.get('memo'),
    }, what, refresh);
  });
}

function listingItem(sodium, key, listing, network, membership, refresh) {
  const left = listing.quantity; // units left: open and done orders took theirs
  const canOrder = membership?.status === 'active' && listing.kind === 'offer' && listing.seller !== key?.address && left > 0;
  return h('li', { class: 'listing', id: `listing-${listing.id}` },
    h('h3', {}, listing.title),
    h('p', { class: 'price' }, listing.price > 0 ? `${money(listing.price, network)} each` : 'price on asking',
      ` · ${listing.kind} · ${left} left`, listing.category_name ? ` · ${listing.category_name}` : '',
      ` · ${listing.seller_alias ?? listing.seller.slice(0, 12) + '…'}`,
      listing.rating?.count ? ` · ★ ${listing.rating.average} (${listing.rating.count})` : ''),
    listing.text && h('p', {}, listing.text),
    canOrder && orderForm(sodium, key, listing, network, membership, refresh));
}

function publishForm(sodium, key, network, categories, refresh) {
  return actionForm({ class: 'card', id: `publish-${network.id}` }, [
    h('h2', {}, 'Publish a listing'),
    field('Kind', h('select', { name: 'kind' }, h('option', { value: '0' }, 'an offer'), h('option', { value: '1' }, 'a want'))),
    field('Title', h('input', { name: 'title', id: 'publish-title', required: true, maxlength: 80, autocomplete: 'off' })),
    field('Text', h('input', { name: 'text', maxlength: 256, autocomplete: 'off' })),
    field('Category', h('select', { name: 'category' }, h('option', { value: '0' }, 'none'),
      categories.map((c) => h('option', { value: c.category }, c.name)))),
    field(`Price per unit (${network.unit}); empty: on asking`, h('input', { name: 'price', id: 'publish-price', inputmode: 'decimal', autocomplete: 'off' })),
    field('Units', h('input', { name: 'quantity', type: 'number', min: 1, value: 1, required: true })),
    field('Days it stays up', h('input', { name: 'days', type: 'number', min: 1, max: 366, value: 60, required: true })),
    h('button', { type: 'submit', id: 'publish-send' }, 'Publish'),
  ], async (data) => {
    const priceText = String(data.get('price')).trim();
    const price = priceText === '' ? 0n : parseAmount(priceText, network.decimals);
    if (price === null || price < 0n) throw new Error(`the price is not an amount of ${network.unit}`);
    const status = await get('/status');
    return signAndShow(sodium, key, 'listing_create', {
      network_id: network.id, kind: Number(data.get('kind')), category: Number(data.get('category')), price,
      quantity: Number(data.get('quantity')), expiry: BigInt(status.tip_time) + BigInt(Number(data.get('days')) * DAY),
      title: data.get('title'), text: data.get('text'), image_hash: '00'.repeat(32), image_url: '',
    }, `Publish “${data.get('title')}”`, refresh);
  });
}

/** The buttons an order shows to its buyer or seller, by its status. */
function orderSteps(sodium, key, order, network, refresh) {
  const buyer = order.buyer === key.address, seller = order.seller === key.address;
  const step = (type, label, what, withMemo = false) => actionForm({ class: 'inline' }, [
    withMemo && h('input', { name: 'memo', 'aria-label': `Why (${label})`, placeholder: 'why', maxlength: 256, class: 'short' }),
    h('button', { type: 'submit', class: 'small', id: `${type}-${order.id}` }, label),
  ], (data) => signAndShow(sodium, key, type, withMemo ? { order_id: order.id, memo: data.get('memo') ?? '' } : { order_id: order.id },
    `${what} order ${order.id}`, refresh));
  const steps = [];
  if (seller && order.status === 'placed') steps.push(step('order_accept', 'Accept', 'Accept'), step('order_decline', 'Decline', 'Decline', true));
  if (seller && (order.status === 'accepted' || order.status === 'disputed')) steps.push(step('order_decline', 'Refund', 'Decline and refund', true));
  if (buyer && order.status === 'placed') steps.push(step('order_cancel', 'Cancel', 'Cancel'));
  if (buyer && (order.status === 'accepted' || order.status === 'disputed')) steps.push(step('order_confirm', 'Confirm delivery', 'Confirm delivery of'));
  if (buyer && order.status === 'accepted') steps.push(step('order_dispute', 'Dispute', 'Dispute', true));
  const rated = buyer ? order.buyer_rating : order.seller_rating;
  if (order.status === 'completed' && (rated === null || rated === undefined)) {
    steps.push(actionForm({ class: 'review', id: `review-${order.id}` }, [
      field('Stars', h('select', { name: 'rating', id: `review-rating-${order.id}` }, [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, '★'.repeat(n))))),
      field('Review', h('input', { name: 'text', id: `review-text-${order.id}`, maxlength: 256, autocomplete: 'off' })),
      h('button', { type: 'submit', id: `review-send-${order.id}` }, `Review the ${buyer ? 'seller' : 'buyer'}`),
    ], (data) => signAndShow(sodium, key, 'review', { order_id: order.id, rating: Number(data.get('rating')), text: data.get('text') },
      `Review order ${order.id}`, refresh)));
  }
  return steps;
}

async function ordersSection(sodium, key, network, refresh) {
  const answer = await get(`/networks/${network.id}/orders`, { member: key.address, status: 'all', limit: 50 });
  if (answer.orders.length === 0) return null;
  return h('section', { class: 'card', id: 'orders' }, h('h2', {}, 'Your orders'),
    h('ul', { class: 'plain' }, answer.orders.map((o) => h('li', { id: `order-row-${o.id}` },
      h('strong', {}, `Order ${o.id}`), ` · ${o.buyer === key.address ? `you buy from ${o.seller_alias ?? 'the seller'}` : `${o.buyer_alias ?? 'a buyer'} buys from you`}`,
      ` · ${o.quantity} × ${money(o.unit_price, network)} = ${money(o.amount, network)}`,
      ' · ', h('span', { class: 'status', id: `order-status-${o.id}` }, o.status),
      o.open ? ` · until ${formatTime(o.timeout)}` : '', ' ',
      orderSteps(sodium, key, o, network, refresh)))));
}

export async function renderMarket(main, { sodium, args, refresh }) {
  const networks = await networksById();
  if (networks.size === 0) return replace(main, h('h1', {}, 'Market'), notice('info', 'This chain has no network yet.'));
  const network = networks.get(Number(args[0])) ?? networks.values().next().value;
  const key = selectedKey();
  let membership = null;
  if (key) membership = await get(`/networks/${network.id}/accounts/${key.address}`).catch(() => null);
  const results = h('div', { id: 'listings' });
  const select = h('select', { name: 'network', id: 'market-network', onchange: (e) => { location.hash = `#/market/${e.target.value}`; } },
    [...networks.values()].map((n) => h('option', { value: n.id, selected: n.id === network.id }, n.name)));
  const text = h('input', { name: 'q', id: 'market-q', type: 'search', autocomplete: 'off' });
  // The list says which search it shows (data-query) and is busy while one runs: a
  // member (or a test) typing into the previous list's forms would lose what it typed.
  const search = async () => {
    const query = text.value.trim();
    results.setAttribute('aria-busy', 'true');
    try {
      const answer = await get(`/networks/${network.id}/listings`, { q: query, limit: 50 });
      replace(results, answer.listings.length === 0 ? h('p', {}, 'No listing matches.') : h('ul', { class: 'listings' },
        answer.listings.map((l) => listingItem(sodium, key, l, network, membership, refresh))));
    } catch (e) {
      replace(results, notice('error', e.message));
    }
    results.dataset.query = query;
    results.setAttribute('aria-busy', 'false');
  };
  const form = h('form', { class: 'card search', role: 'search', onsubmit: (e) => { e.preventDefault(); search(); } },
    field('Network', select), field('Search', text), h('button', { type: 'submit', id: 'market-search' }, 'Search'));
  const member = membership?.status === 'active';
  const [orders, categories] = await Promise.all([
    member ? ordersSection(sodium, key, network, refresh) : null,
    member ? get(`/networks/${network.id}/categories`).then((c) => c.categories ?? []).catch(() => []) : [],
  ]);
  replace(main, h('h1', {}, 'Market'), orders, form, results, member && publishForm(sodium, key, network, categories, refresh));
  await search();
}
