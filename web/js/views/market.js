// views/market.js: the marketplace, read side: a network's listings with search.
// Ordering, publishing, disputes and reviews are not in the page yet (the CLI has them).
import { get } from '../api.js';
import { formatAmount } from '../amount.js';
import { field, h, notice, replace } from '../dom.js';
import { networksById } from '../networks.js';

export async function renderMarket(main) {
  const networks = await networksById();
  const results = h('div', { id: 'listings' });
  const select = h('select', { name: 'network', id: 'market-network' }, [...networks.values()].map((n) => h('option', { value: n.id }, n.name)));
  const text = h('input', { name: 'q', id: 'market-q', type: 'search', autocomplete: 'off' });
  const search = async () => {
    const network = networks.get(Number(select.value));
    try {
      const answer = await get(`/networks/${network.id}/listings`, { q: text.value.trim(), limit: 50 });
      replace(results, answer.listings.length === 0 ? h('p', {}, 'No listing matches.') : h('ul', { class: 'listings' },
        answer.listings.map((l) => h('li', { class: 'listing' },
          h('h3', {}, l.title),
          h('p', { class: 'price' }, l.price > 0 ? `${formatAmount(BigInt(l.price), network.decimals)} ${network.unit}` : 'price on asking',
            ` · ${l.kind}`, l.seller_alias ? ` · ${l.seller_alias}` : ''),
          l.text && h('p', {}, l.text)))));
    } catch (e) {
      replace(results, notice('error', e.message));
    }
  };
  const form = h('form', { class: 'card search', onsubmit: (e) => { e.preventDefault(); search(); } },
    field('Network', select), field('Search', text), h('button', { type: 'submit' }, 'Search'));
  replace(main, h('h1', {}, 'Market'), form, results);
  await search();
}
