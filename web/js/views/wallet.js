// views/wallet.js: a member's wallet. With no key it offers to make one (sealed here
// with a passphrase), to import a key file from the CLI, or to recover one from its
// seed. With a key: its address (what an operator needs to admit it), each network it
// belongs to with its balance, what it can pay now and the credit it has left, a
// payment form, the history with names and a CSV statement; and the networks it may
// join. Amounts are read and written in the network's unit (`12.50 GVH`).
import { get } from '../api.js';
import { decodeAddress } from '../address.js';
import { formatAmount, parseAmount } from '../amount.js';
import { field, formatTime, h, notice, replace, setFlash, shortAddress } from '../dom.js';
import { createKey, importKeyFile, importSeed, keyFileText, listKeys, removeKey, selectKey, selectedKey } from '../keys.js';
import { creditLeft, maxFee, money, networksById } from '../networks.js';
import { Cancelled } from '../passphrase.js';
import { signAndSubmit } from '../sign.js';
import { downloadText, statementCsv } from '../statement.js';
import { requestsSection } from './requests.js';
import { holdsSection, poolShares } from './holds.js';
import { batchSection } from './batch.js';
import { reserveSection } from './reserve.js';
import { admissionLink, codeMeaning, scanCamera, scanFile } from '../qrscan.js';
import { qrElement } from '../qr.js';

const HISTORY_PAGE = 50;
const STATEMENT_PAGES_MAX = 200; // 10,000 entries in one CSV


/** The error of a failed action, as a sentence with the node's code. */
export function failure(e) {
  if (e instanceof Cancelled) return notice('info', 'Cancelled: nothing was signed.');
  return notice('error', e.code ? `${e.message} (${e.code})` : e.message);
}

/** A form whose submit handler runs once at a time and shows its outcome below it. */
export function actionForm(attributes, children, action) {
  const out = h('div', { class: 'outcome', 'aria-live': 'polite' });
  const form = h('form', { ...attributes, novalidate: false }, children, out);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    replace(out, notice('info', 'Working…'));
    try {
      const result = await action(new FormData(form));
      replace(out, result ?? '');
    } catch (e) {
      replace(out, failure(e));
    } finally {
      if (button) button.disabled = false;
    }
  });
  return form;
}

/** Resolves a payee typed as an alias or an address to the member's address. */
export async function resolveMember(sodium, networkId, who) {
  const text = who.trim();
  if (text.startsWith('tly1')) {
    decodeAddress(sodium, text); // a mistyped address is refused here, with why
    return text;
  }
  const member = await get(`/networks/${networkId}/accounts/${encodeURIComponent(text)}`);
  return member.address;
}

/** A network named by its id or its name (any case). */
function findNetwork(networks, text) {
  const byId = networks.get(Number(text));
  if (byId) return byId;
  const found = [...networks.values()].find((n) => n.name.toLowerCase() === text.toLowerCase());
  if (!found) throw new Error(`no network named '${text}'`);
  return found;
}

/**
 * A payment to a member of another network: the paths over gateways the node prices
 * as the ledger would (GET /v1/paths), each with what the payee receives; the one
 * chosen is signed as a transfer_cross whose max_fee and min_received are that path's.
 */
async function pathChoice(sodium, key, network, target, networks, who, amount, refresh) {
  const answer = await get('/paths', { from: `${key.address}@${network.id}`, to: `${who}@${target.id}`, amount });
  const name = (id) => networks.get(id)?.name ?? `network ${id}`;
  const options = answer.paths.map((path, i) => {
    const via = path.hops.slice(0, -1).map((hop) => name(hop.to));
    const gets = `${formatAmount(BigInt(path.received), target.decimals)} ${target.unit}`;
    return { path, label: `${who} gets ${gets}${via.length ? ` via ${via.join(', ')}` : ' directly'} (${path.hops.length} hop${path.hops.length > 1 ? 's' : ''}; fee ${money(path.fee, network)})` };
  });
  return actionForm({ class: 'paths', id: `paths-${network.id}` }, [
    h('fieldset', {}, h('legend', {}, `Pay ${money(amount, network)} to ${who} in ${target.name}: choose a path`),
      options.map((o, i) => h('label', { class: 'choice' },
        h('input', { type: 'radio', name: 'path', value: i, id: `path-${network.id}-${o.path.gateways.join('-')}`, checked: i === 0 }), ' ', o.label))),
    h('button', { type: 'submit', id: `paths-send-${network.id}` }, 'Pay by this path'),
  ], async (data) => {
    const chosen = options[Number(data.get('path'))];
    const path = chosen.path;
    const payee = answer.payee;
    const gateways = [0, 1, 2, 3].map((i) => path.gateways[i] ?? 0);
    const status = await signAndSubmit(sodium, key, 'transfer_cross', {
      network_id: network.id, payee: decodeAddress(sodium, payee), amount, max_fee: path.fee, min_received: path.received,
      hop_count: path.gateways.length, gateway_1: gateways[0], gateway_2: gateways[1], gateway_3: gateways[2], gateway_4: gateways[3],
    }, `Pay ${money(amount, network)}: ${chosen.label}`);
    setFlash(`Paid ${money(amount, network)}: ${chosen.label}, in block ${status.height ?? '?'}.`);
    await refresh();
    return null;
  });
}

function keyForms(sodium, refresh) {
  const make = actionForm({ id: 'key-new', class: 'card' }, [
    h('h2', {}, 'Make a key'),
    h('p', {}, 'Your key is made in this browser and sealed with your passphrase. It never leaves it: the node only ever sees signatures.'),
    field('Name', h('input', { name: 'name', id: 'key-name', required: true, pattern: '[A-Za-z0-9_\\-][A-Za-z0-9._\\-]{0,63}', autocomplete: 'off' })),
    field('Passphrase', h('input', { name: 'passphrase', id: 'key-passphrase', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' }), 'at least 8 characters'),
    field('Passphrase again', h('input', { name: 'again', id: 'key-passphrase-again', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' })),
    h('button', { type: 'submit', id: 'key-create' }, 'Make the key'),
  ], async (data) => {
    if (data.get('passphrase') !== data.get('again')) throw new Error('the two passphrases differ');
    createKey(sodium, data.get('name'), data.get('passphrase'));
    await refresh();
  });
  const file = h('input', { type: 'file', name: 'file', id: 'key-file', accept: '.key,application/json', required: true });
  const load = actionForm({ id: 'key-import', class: 'card' }, [
    h('h2', {}, 'Import a key file'),
    h('p', {}, 'A key file of the CLI (~/.tally/keys/NAME.key) or of another browser: it stays sealed with its passphrase.'),
    field('Key file', file),
    h('button', { type: 'submit' }, 'Import'),
  ], async () => {
    if (!file.files[0]) throw new Error('choose a key file');
    importKeyFile(sodium, await file.files[0].text());
    await refresh();
  });
  const recover = actionForm({ id: 'key-seed', class: 'card' }, [
    h('h2', {}, 'Recover a key from its seed'),
    field('Name', h('input', { name: 'name', required: true, autocomplete: 'off' })),
    field('Seed', h('input', { name: 'seed', type: 'password', required: true, autocomplete: 'off', pattern: '\\s*[0-9a-fA-F]{64}\\s*' }), '64 hex digits'),
    field('New passphrase', h('input', { name: 'passphrase', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' })),
    h('button', { type: 'submit' }, 'Recover'),
  ], async (data) => {
    importSeed(sodium, data.get('name'), data.get('seed'), data.get('passphrase'));
    await refresh();
  });
  return [make, load, recover];
}

function keyCard(key, refresh) {
  const keys = listKeys();
  const chooser = keys.length > 1 && h('select', {
    id: 'key-select', 'aria-label': 'Key',
    onchange: async (e) => { selectKey(e.target.value); await refresh(); },
  }, keys.map((k) => h('option', { value: k.name, selected: k.name === key.name }, k.name)));
  return h('section', { class: 'card key', 'aria-labelledby': 'key-title' },
    h('h2', { id: 'key-title' }, 'Key ', h('strong', {}, key.name), chooser),
    h('p', {}, 'Your address (give it to an operator to be admitted, or to anyone who pays you):'),
    h('p', { class: 'address-full', id: 'my-address' }, key.address),
    h('div', { class: 'buttons' },
      h('button', { type: 'button', onclick: () => navigator.clipboard?.writeText(key.address) }, 'Copy the address'),
      h('button', { type: 'button', id: 'key-download', onclick: () => downloadText(`${key.name}.key`, keyFileText(key), 'application/json') }, 'Download the key file'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { location.hash = '#/wallet/keys'; } }, 'Another key'),
      h('button', {
        type: 'button', class: 'danger',
        onclick: async () => {
          if (confirm(`Remove key '${key.name}' from this browser? Without its key file or seed, its money is lost.`)) {
            removeKey(key.name);
            await refresh();
          }
        },
      }, 'Remove')));
}

/**
 * Scanning a code: a payment request's code opens the request (#/pay/ID); a member's
 * address goes into the first Pay form's To field. From the camera, or a photo.
 */
function scanCard() {
  const out = h('div', { class: 'outcome', id: 'scan-outcome', 'aria-live': 'polite' });
  const video = h('video', { id: 'scan-video', class: 'scan-video', hidden: true, 'aria-label': 'What the camera sees' });
  let stop = null;
  const said = (text) => {
    const meaning = codeMeaning(text);
    if (meaning?.request) {
      location.hash = `#/pay/${meaning.request}`;
      return;
    }
    if (meaning?.admit) {
      location.hash = `#/console/admit/${meaning.admit.network}/${meaning.admit.address}`;
      return;
    }
    if (meaning?.address) {
      const to = document.querySelector('form.pay input[name=to]');
      if (to) {
        to.value = meaning.address;
        to.focus();
      }
      replace(out, notice('ok', `The code holds the address ${meaning.address}${to ? ': it is in the To field of Pay' : ''}.`));
      return;
    }
    replace(out, notice('error', `The code holds “${String(text).slice(0, 120)}”: neither a payment request's link nor an address.`));
  };
  const camera = h('button', {
    type: 'button', id: 'scan-camera',
    onclick: async () => {
      if (stop) {
        stop.abort();
        return;
      }
      stop = new AbortController();
      camera.textContent = 'Stop the camera';
      video.hidden = false;
      replace(out, notice('info', 'Hold the code in front of the camera…'));
      try {
        const text = await scanCamera(video, stop.signal);
        if (text === null) replace(out, '');
        else said(text);
      } catch (e) {
        replace(out, failure(e));
      } finally {
        stop = null;
        video.hidden = true;
        camera.textContent = 'Use the camera';
      }
    },
  }, 'Use the camera');
  const photo = h('input', {
    type: 'file', id: 'scan-file', accept: 'image/*', capture: 'environment',
    onchange: async () => {
      const file = photo.files[0];
      if (!file) return;
      replace(out, notice('info', 'Reading the code…'));
      try {
        const text = await scanFile(file);
        if (text === null) replace(out, notice('error', `No QR code found in ${file.name}: take the photo closer, with the whole code in it.`));
        else said(text);
      } catch (e) {
        replace(out, failure(e));
      }
      photo.value = '';
    },
  });
  return h('details', { class: 'card scan', id: 'scan' },
    h('summary', {}, 'Scan a code'),
    h('p', {}, "A payment request's code opens the request to pay; a member's address goes into Pay; an ask to be admitted opens the console."),
    h('div', { class: 'buttons' }, camera),
    video,
    field('Or a photo of the code', photo),
    out);
}

function membershipCard(sodium, key, membership, network, networks, holdings, refresh) {
  const id = membership.network;
  const payForm = actionForm({ class: 'pay', id: `pay-${id}` }, [
    h('h3', {}, 'Pay'),
    field('To', h('input', { name: 'to', id: `pay-to-${id}`, required: true, autocomplete: 'off', placeholder: 'alias, address, or who@network' })),
    field(`Amount (${network.unit})`, h('input', { name: 'amount', id: `pay-amount-${id}`, required: true, inputmode: 'decimal', autocomplete: 'off', placeholder: network.decimals ? '12.50' : '12' })),
    field('Memo', h('input', { name: 'memo', id: `pay-memo-${id}`, maxlength: 256, autocomplete: 'off' })),
    h('button', { type: 'submit', id: `pay-send-${id}` }, 'Pay'),
  ], async (data) => {
    const amount = parseAmount(data.get('amount').trim(), network.decimals);
    if (amount === null || amount <= 0n)
      throw new Error(`the amount is not an amount of ${network.unit} (at most ${network.decimals} decimals, like ${formatAmount(1250n, network.decimals)})`);
    const to = data.get('to').trim();
    const at = to.lastIndexOf('@');
    if (at > 0) {
      const target = findNetwork(networks, to.slice(at + 1));
      if (target.id !== id) return pathChoice(sodium, key, network, target, networks, to.slice(0, at), amount, refresh);
    }
    const payee = await resolveMember(sodium, id, at > 0 ? to.slice(0, at) : to);
    const fee = maxFee(network, membership, amount);
    const what = `Pay ${money(amount, network)} to ${to}${fee > 0n ? ` (fees at most ${money(fee, network)})` : ''}`;
    const status = await signAndSubmit(sodium, key, 'transfer', {
      network_id: id, payee: decodeAddress(sodium, payee), amount, max_fee: fee, memo: data.get('memo'),
    }, what);
    setFlash(`Paid: ${what}, in block ${status.height ?? '?'}.`);
    await refresh();
    return null;
  });
  const historyBox = h('div', { class: 'history', id: `history-${id}` }, h('p', {}, 'Loading the history…'));
  const shares = h('div', { class: 'shares', hidden: true });
  poolShares(network, key.address).then((amount) => {
    if (!amount) return;
    const total = network.pool?.shares ?? 0;
    replace(shares, h('dt', {}, 'Pool shares'), h('dd', { id: `shares-${id}` }, `${amount}${total ? ` of ${total} (${((100 * amount) / total).toFixed(1)}%)` : ''}`));
    shares.hidden = false;
  }, () => {});
  loadHistory(historyBox, key, membership, network);
  const reserveBox = h('div', {});
  if (membership.status === 'active')
    reserveSection(sodium, key, membership, network, holdings, refresh).then((part) => replace(reserveBox, part ?? ''),
      (e) => replace(reserveBox, failure(e)));
  return h('section', { class: 'card network', id: `network-${id}`, 'aria-labelledby': `network-title-${id}` },
    h('h2', { id: `network-title-${id}` }, network.name, ' ', h('small', {}, network.unit)),
    membership.status !== 'active' && notice('warn', `Your membership is ${membership.status}.`),
    h('dl', { class: 'figures' },
      h('div', {}, h('dt', {}, 'Balance'), h('dd', { id: `balance-${id}` }, money(membership.balance, network))),
      h('div', {}, h('dt', {}, 'Can pay now'), h('dd', { id: `available-${id}` }, money(membership.available, network))),
      h('div', {}, h('dt', {}, 'Credit left'), h('dd', { id: `credit-${id}` }, money(creditLeft(membership), network))),
      h('div', {}, h('dt', {}, 'Credit line'), h('dd', {}, money(membership.limit, network))),
      membership.alias && h('div', {}, h('dt', {}, 'Alias'), h('dd', {}, membership.alias)),
      shares),
    membership.status === 'active' && h('div', { class: 'columns' }, payForm, requestsSection(sodium, key, membership, network, refresh)),
    membership.status === 'active' && holdsSection(sodium, key, membership, network, refresh),
    membership.status === 'active' && batchSection(sodium, key, membership, network, networks, refresh),
    reserveBox,
    historyBox);
}

async function historyPages(key, networkId, pages) {
  const entries = [];
  let before = null;
  for (let page = 0; page < pages; page++) {
    const answer = await get(`/networks/${networkId}/accounts/${key.address}/history`, { limit: HISTORY_PAGE, before });
    entries.push(...answer.entries);
    if (!answer.next || answer.entries.length === 0) break;
    before = answer.next;
  }
  return entries;
}

async function loadHistory(box, key, membership, network) {
  try {
    const entries = await historyPages(key, membership.network, 1);
    // data-label: the column's name, shown beside each value where rows become cards (phones)
    const rows = entries.map((e) => h('tr', {},
      h('td', { 'data-label': 'When' }, formatTime(e.time)),
      h('td', { 'data-label': 'What' }, e.type.replaceAll('_', ' ')),
      h('td', { 'data-label': 'With' }, e.counterparty_name ?? (e.counterparty ? shortAddress(e.counterparty) : '')),
      h('td', { class: 'amount', 'data-label': 'Amount' }, e.amount ? money(e.amount, network) : ''),
      h('td', { class: 'amount', 'data-label': 'Fee' }, e.fee ? money(e.fee, network) : ''),
      h('td', { class: 'memo', 'data-label': 'Memo' }, e.memo ?? '')));
    replace(box,
      h('h3', {}, 'History'),
      entries.length === 0 ? h('p', {}, 'Nothing yet.') : h('div', { class: 'table-scroll' }, h('table', { class: 'cards' },
        h('thead', {}, h('tr', {}, ['When', 'What', 'With', 'Amount', 'Fee', 'Memo'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))),
      h('button', {
        type: 'button', id: `statement-${membership.network}`,
        onclick: async () => {
          const all = await historyPages(key, membership.network, STATEMENT_PAGES_MAX);
          downloadText(`statement-${network.unit}-${key.name}.csv`, statementCsv(all, network), 'text/csv');
        },
      }, 'Download a CSV statement'));
  } catch (e) {
    replace(box, failure(e));
  }
}

function joinCard(sodium, key, networks, memberOf, refresh) {
  const others = [...networks.values()].filter((n) => !memberOf.has(n.id));
  if (others.length === 0) return null;
  return h('section', { class: 'card join' },
    h('h2', {}, 'Other networks'),
    h('ul', {}, others.map((n) => h('li', {},
      h('strong', {}, n.name), ` (${n.unit}, ${n.members} member${n.members === 1 ? '' : 's'}): `,
      n.policy.membership_mode === 'open'
        ? actionForm({ class: 'inline' }, [h('button', { type: 'submit', id: `join-${n.id}` }, 'Join')], async () => {
          await signAndSubmit(sodium, key, 'member_join', { network_id: n.id }, `Join ${n.name}`);
          setFlash(`You joined ${n.name}.`);
          await refresh();
          return null;
        })
        : askToBeAdmitted(key, n)))));
}

/**
 * Asking an admitted network's operators to admit this key: a link (and its QR code)
 * that opens their console with the address in the admission form. The chain has no
 * application to join: the ask travels outside it, and only the operators' admission
 * is signed.
 */
function askToBeAdmitted(key, network) {
  const box = h('div', { class: 'ask', id: `ask-${network.id}` });
  return h('span', {}, 'members are admitted by its operators. ',
    h('button', {
      type: 'button', class: 'small secondary', id: `ask-admission-${network.id}`,
      onclick: () => {
        const link = admissionLink(network.id, key.address);
        replace(box, h('p', {}, `Send this link to an operator of ${network.name}, or let them scan the code: it opens their console with your address.`),
          h('p', {}, h('a', { href: link, class: 'admission-link' }, link)),
          qrElement(link, `QR code of the link asking ${network.name}'s operators to admit you`));
      },
    }, 'Ask to be admitted'), box);
}

export async function renderWallet(main, { sodium, args, refresh }) {
  const key = selectedKey();
  if (!key || args[0] === 'keys') {
    replace(main, h('h1', {}, key ? 'Keys' : 'Your wallet'), keyForms(sodium, async () => { location.hash = '#/wallet'; await refresh(); }));
    return;
  }
  const [networks, account] = await Promise.all([networksById(), get(`/accounts/${key.address}`)]);
  const memberOf = new Set(account.memberships.map((m) => m.network));
  replace(main,
    h('h1', {}, 'Wallet'),
    keyCard(key, refresh),
    scanCard(),
    account.memberships.length === 0 && notice('info', 'This key belongs to no network yet: join an open one below, or give your address to an operator.'),
    account.memberships.map((m) => membershipCard(sodium, key, m, networks.get(m.network), networks, account.holdings ?? [], refresh)),
    joinCard(sodium, key, networks, memberOf, refresh));
}
