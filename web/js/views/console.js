// views/console.js: the operators' console. For each network the selected key
// operates: admit a member by address (its line opens by the policy's default),
// open or change a member's line, suspend and reinstate; the members with their
// standing; the policy, gateways and disputes (operations.js); and, in networks whose
// members govern, proposals and votes (governance.js).
import { get } from '../api.js';
import { decodeAddress } from '../address.js';
import { parseAmount } from '../amount.js';
import { field, h, notice, replace, setFlash, shortAddress } from '../dom.js';
import { selectedKey } from '../keys.js';
import { money, networksById } from '../networks.js';
import { signAndSubmit } from '../sign.js';
import { actionForm, resolveMember } from './wallet.js';
import { foundForm, governanceSection } from './governance.js';
import { disputeForm, gatewaysForm, policyForm } from './operations.js';
import { policyEditor } from './policy_editor.js';


async function membersTable(sodium, key, network, refresh) {
  const answer = await get(`/networks/${network.id}/members`, { limit: 100 });
  const act = (type, member, label, what) => actionForm({ class: 'inline' }, [
    h('button', { type: 'submit', class: 'small', 'aria-label': `${label} ${member.alias ?? member.address}` }, label),
  ], async () => {
    await signAndSubmit(sodium, key, type, { network_id: network.id, key: decodeAddress(sodium, member.address) }, what);
    setFlash('Done.');
    await refresh();
    return null;
  });
  return h('div', { class: 'table-scroll' }, h('table', { class: 'members', id: `members-${network.id}` },
    h('thead', {}, h('tr', {}, ['Member', 'Status', 'Balance', 'Line', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, answer.members.map((m) => h('tr', {},
      h('td', {}, m.alias ? h('span', {}, m.alias, ' ', shortAddress(m.address)) : shortAddress(m.address)),
      h('td', {}, m.status),
      h('td', { class: 'amount' }, money(m.balance, network)),
      h('td', { class: 'amount' }, money(m.limit, network)),
      h('td', {}, m.status === 'active'
        ? act('member_suspend', m, 'Suspend', `Suspend ${m.alias ?? m.address} in ${network.name}`)
        : act('member_reinstate', m, 'Reinstate', `Reinstate ${m.alias ?? m.address} in ${network.name}`)))))));
}

function networkConsole(sodium, key, network, networks, refresh) {
  const admit = actionForm({ id: `admit-${network.id}`, class: 'card-part' }, [
    h('h3', {}, 'Admit a member'),
    field('Address', h('input', { name: 'address', id: `admit-address-${network.id}`, required: true, autocomplete: 'off', placeholder: 'tly1…' })),
    h('button', { type: 'submit', id: `admit-send-${network.id}` }, 'Admit'),
  ], async (data) => {
    const address = data.get('address').trim();
    const member = decodeAddress(sodium, address);
    await signAndSubmit(sodium, key, 'member_admit', { network_id: network.id, key: member }, `Admit ${address} to ${network.name}`);
    setFlash(`Admitted ${address}${network.policy.default_credit_limit > 0 ? `, with a line of ${money(network.policy.default_credit_limit, network)}` : ''}.`);
    await refresh();
    return null;
  });
  const line = actionForm({ id: `line-${network.id}`, class: 'card-part' }, [
    h('h3', {}, 'Open or change a credit line'),
    field('Member', h('input', { name: 'who', required: true, autocomplete: 'off', placeholder: 'alias or tly1… address' })),
    field(`Limit (${network.unit})`, h('input', { name: 'limit', required: true, inputmode: 'decimal', autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Set the line'),
  ], async (data) => {
    const limit = parseAmount(data.get('limit').trim(), network.decimals);
    if (limit === null || limit < 0n) throw new Error(`the limit is not an amount of ${network.unit}`);
    const address = await resolveMember(sodium, network.id, data.get('who'));
    const member = await get(`/networks/${network.id}/accounts/${address}`);
    const open = member.line && member.line.status !== 'none' && member.line.status !== 'closed';
    const what = `${open ? 'Change' : 'Open'} the line of ${data.get('who').trim()} to ${money(limit, network)}`;
    const risk = network.policy.default_risk_fee_bps;
    if (open) {
      await signAndSubmit(sodium, key, 'line_update', { network_id: network.id, member: decodeAddress(sodium, address), limit, risk_fee_bps: member.line.risk_fee_bps ?? risk }, what);
    } else {
      await signAndSubmit(sodium, key, 'line_open', { network_id: network.id, member: decodeAddress(sodium, address), limit, period_seconds: 0, grace_seconds: 0, risk_fee_bps: risk }, what);
    }
    setFlash(`${what}: done.`);
    await refresh();
    return null;
  });
  const members = h('div', {}, h('p', {}, 'Loading the members…'));
  membersTable(sodium, key, network, refresh).then((table) => replace(members, h('h3', {}, 'Members'), table),
    (e) => replace(members, notice('error', e.message)));
  const gateways = h('div', {});
  gatewaysForm(sodium, key, network, networks, refresh).then((part) => replace(gateways, part), (e) => replace(gateways, notice('error', e.message)));
  return h('section', { class: 'card', id: `console-${network.id}` },
    h('h2', {}, network.name, ' ', h('small', {}, `${network.unit}, ${network.members} member${network.members === 1 ? '' : 's'}, admission ${network.policy.membership_mode}`)),
    h('div', { class: 'columns' }, admit, line),
    h('div', { class: 'columns' }, policyForm(sodium, key, network, refresh), disputeForm(sodium, key, network, refresh)),
    policyEditor(sodium, key, network, refresh),
    gateways, members);
}

/**
 * An ask to be admitted (#/console/admit/NET/ADDRESS, from the member's wallet): the
 * address in the admission form of that network, and a line saying who asks. Nothing
 * is signed until the operator presses Admit.
 */
async function askedAdmission(sodium, main, key, networks, [networkId, address]) {
  const network = networks.get(Number(networkId));
  try {
    if (!network) throw new Error(`no network ${networkId}`);
    decodeAddress(sodium, address);
  } catch (e) {
    return notice('error', `This link to admit a member is damaged: ${e.message}.`);
  }
  if (!network.operators.includes(key.address))
    return notice('warn', `${address} asks to be admitted to ${network.name}: only its operators can, and key '${key.name}' is not one (select an operator's key in the wallet).`);
  const member = await get(`/networks/${network.id}/accounts/${address}`).catch(() => null);
  if (member && member.status !== 'left') return notice('info', `${address} is a member of ${network.name} now (${member.status}).`);
  const input = main.querySelector(`#admit-address-${network.id}`);
  if (input) input.value = address;
  return notice('info', `${address} asks to be admitted to ${network.name}: its address is in the form below. Admit it once you know who it is.`);
}

export async function renderConsole(main, { sodium, args = [], refresh }) {
  const key = selectedKey();
  if (!key) {
    replace(main, h('h1', {}, 'Console'), notice('info', 'Make or import a key in the wallet first: the console signs with the key of an operator or a member.'));
    return;
  }
  const [all, account] = await Promise.all([networksById(), get(`/accounts/${key.address}`)]);
  const memberOf = new Set(account.memberships.filter((m) => m.status === 'active').map((m) => m.network));
  const operated = [...all.values()].filter((n) => n.operators.includes(key.address));
  const governed = [...all.values()].filter((n) => n.policy.governance.mode === 'members' && (memberOf.has(n.id) || n.operators.includes(key.address)));
  const sections = await Promise.all(governed.map((n) => governanceSection(sodium, key, n, memberOf.has(n.id), all, refresh)));
  replace(main, h('h1', {}, 'Console'),
    operated.length === 0 && governed.length === 0 &&
      notice('info', `Key '${key.name}' operates no network and votes in none. Select an operator's key in the wallet (import its key file), or found a network below.`),
    operated.map((n) => networkConsole(sodium, key, n, all, refresh)),
    sections,
    foundForm(sodium, key, refresh));
  if (args[0] === 'admit') {
    const said = await askedAdmission(sodium, main, key, all, args.slice(1));
    said.id = 'admission-asked';
    main.querySelector('h1').after(said);
  }
}
