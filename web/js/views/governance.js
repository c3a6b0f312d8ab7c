// views/governance.js: members' governance in the console (docs/UNDERWRITING.md
// section 6). In a network its members govern, a member proposes a change (a new
// base fee, suspending or reinstating a member, adding an operator), every member
// eligible votes yes, no or abstain, and a proposal that passed applies by itself
// once its timelock is over. Gateways too: members put a gateway to another network to
// the vote, or accepting one another network proposed (its terms repeated). The list
// shows each proposal's counts against its quorum and threshold. Also here: founding
// a new network.
import { get } from '../api.js';
import { decodeAddress } from '../address.js';
import { parseAmount } from '../amount.js';
import { field, formatTime, h, notice } from '../dom.js';
import { zeroBody } from '../encoding.js';
import { money } from '../networks.js';
import { newNetworkPolicy, policyForEncoding } from '../policy.js';
import { signAndShow } from '../sign.js';
import { actionForm, resolveMember } from './wallet.js';
import { gatewayTermsForm, linkedNetworks, proposedTerms, proposedTermsText, termsText } from './operations.js';

const CHOICES = [['yes', 1], ['no', 0], ['abstain', 2]];


function describe(action, network, networks) {
  const name = (id) => networks.get(id)?.name ?? `network ${id}`;
  switch (action.type) {
    case 'gateway_propose': return `open a gateway to ${name(action.partner)}: ${action.rate_a} ${network.unit} units for ${action.rate_b} of theirs, ` +
      `${network.name} lets ${money(action.side_a.limit, network)} be owed to it`;
    case 'gateway_accept': return `accept gateway ${action.gateway} on the terms proposed`;
    case 'policy_update': return `set the base fee to ${(action.policy.fee_bps / 100).toFixed(2)}%`;
    case 'member_suspend': return `suspend ${action.key_name ?? action.key}`;
    case 'member_reinstate': return `reinstate ${action.key_name ?? action.key}`;
    case 'operator_add': return `make ${action.key_name ?? action.key} an operator`;
    case 'operator_remove': return `remove the operator ${action.key_name ?? action.key}`;
    case 'order_resolve': return `resolve order ${action.order}: ${money(action.seller_amount, network)} to the seller`;
    default: return action.type.replaceAll('_', ' ');
  }
}

function proposalItem(sodium, key, p, network, networks, refresh) {
  const votes = `yes ${p.yes}, no ${p.no}, abstain ${p.abstain} of ${p.eligible_weight} eligible` +
    ` (quorum ${p.quorum_bps / 100}%${p.quorum_reached ? ' reached' : ''}, threshold ${p.threshold_bps / 100}%${p.threshold_reached ? ' reached' : ''})`;
  return h('li', { class: 'proposal', id: `proposal-${p.id}` },
    h('strong', {}, `Proposal ${p.id}: `), describe(p.action, network, networks),
    h('br'), h('span', { class: 'status', id: `proposal-status-${p.id}` }, p.status), ' · ', votes,
    h('br'), p.status === 'voting' ? `voting ends ${formatTime(p.voting_ends_at)}` : p.executes_at ? `applies ${formatTime(p.executes_at)}` : '',
    p.status === 'voting' && h('div', { class: 'buttons' }, CHOICES.map(([label, choice]) =>
      actionForm({ class: 'inline' }, [h('button', { type: 'submit', class: 'small', id: `vote-${p.id}-${label}` }, `Vote ${label}`)],
        () => signAndShow(sodium, key, 'proposal_vote', { proposal_id: p.id, choice }, `Vote ${label} on proposal ${p.id}`, refresh).then(() => null)))));
}

function proposeForm(sodium, key, network, refresh) {
  const id = network.id;
  return actionForm({ id: `propose-${id}`, class: 'card-part' }, [
    h('h3', {}, 'Propose a change'),
    field('Change', h('select', { name: 'kind', id: `propose-kind-${id}` },
      h('option', { value: 'fee' }, 'the base fee of payments'),
      h('option', { value: 'member_suspend' }, 'suspend a member'),
      h('option', { value: 'member_reinstate' }, 'reinstate a member'),
      h('option', { value: 'operator_add' }, 'add an operator'))),
    field('New fee (%), or the member', h('input', { name: 'value', id: `propose-value-${id}`, required: true, autocomplete: 'off' })),
    h('button', { type: 'submit', id: `propose-send-${id}` }, 'Propose'),
  ], async (data) => {
    const body = zeroBody('proposal_create');
    body.network_id = id;
    const kind = data.get('kind'), value = String(data.get('value')).trim();
    let what;
    if (kind === 'fee') {
      const bps = parseAmount(value, 2);
      if (bps === null || bps < 0n || bps > 10000n) throw new Error('the fee is a percentage from 0 to 100, like 1.5');
      body.action.type = 2; // policy_update: the whole policy, with the new fee
      body.action.policy = { ...policyForEncoding(network.policy), fee_bps: Number(bps) };
      what = `Propose a base fee of ${value}% in ${network.name}`;
    } else {
      body.action.type = { member_suspend: 8, member_reinstate: 9, operator_add: 4 }[kind];
      body.action.key = decodeAddress(sodium, await resolveMember(sodium, id, value));
      what = `Propose to ${kind.replace('_', ' ')} ${value} in ${network.name}`;
    }
    await signAndShow(sodium, key, 'proposal_create', body, what, refresh);
    return null;
  });
}

/** A proposal of one action, signed by a member: the body with the action's fields set. */
function proposeAction(sodium, key, network, action, what, refresh) {
  const body = zeroBody('proposal_create');
  body.network_id = network.id;
  Object.assign(body.action, action);
  return signAndShow(sodium, key, 'proposal_create', body, what, refresh);
}

/** Gateways put to the vote: one to another network, or accepting one proposed to it. */
function gatewayProposals(sodium, key, network, networks, gateways, refresh) {
  const offered = gateways.filter((g) => g.status === 'proposed' && g.network_b === network.id);
  const propose = gatewayTermsForm(network, networks, linkedNetworks(gateways, network), {
    prefix: 'proposal-gateway', title: 'Propose a gateway (to the members\' vote)', button: 'Put it to the vote',
    submit: (partner, terms) => proposeAction(sodium, key, network, { type: 33, partner_id: partner.id, ...terms },
      `Propose to the vote a gateway from ${network.name} to ${partner.name}: ${proposedTermsText(network, partner, terms)}`, refresh),
  });
  return h('div', {}, offered.length > 0 && h('ul', { class: 'plain', id: `gateways-offered-${network.id}` }, offered.map((g) =>
    h('li', { id: `gateway-offered-${g.id}` }, `Gateway ${g.id}, proposed by ${g.a.name}: ${termsText(g)}. `,
      actionForm({ class: 'inline' }, [h('button', { type: 'submit', class: 'small', id: `propose-accept-${g.id}` }, 'Put accepting it to the vote')],
        () => proposeAction(sodium, key, network, { type: 34, gateway_id: g.id, ...proposedTerms(g) },
          `Propose to the vote accepting gateway ${g.id} from ${g.a.name}`, refresh))))), propose);
}

/** The governance part of the console for one network its members govern. */
export async function governanceSection(sodium, key, network, isMember, networks, refresh) {
  const [answer, gateways] = await Promise.all([
    get(`/networks/${network.id}/proposals`, { limit: 50 }),
    get('/gateways', { network: network.id }),
  ]);
  const rule = network.policy.governance;
  return h('section', { class: 'card', id: `governance-${network.id}` },
    h('h2', {}, `${network.name}: governance`),
    h('p', {}, `Its members govern it: quorum ${rule.quorum_bps / 100}%, threshold ${rule.threshold_bps / 100}%, ` +
      `votes of ${rule.voting_seconds / 3600} h, applied ${rule.timelock_seconds / 3600} h after.`),
    isMember ? proposeForm(sodium, key, network, refresh) : notice('info', 'Join the network to propose and vote.'),
    isMember && gatewayProposals(sodium, key, network, networks, gateways.gateways, refresh),
    answer.proposals.length === 0 ? h('p', {}, 'No proposal yet.')
      : h('ul', { class: 'plain proposals' }, answer.proposals.map((p) => proposalItem(sodium, key, p, network, networks, refresh))));
}

/** Founding a network: its name, unit, decimals, default line, admission and governance. */
export function foundForm(sodium, key, refresh) {
  return actionForm({ id: 'found', class: 'card' }, [
    h('h2', {}, 'Found a network'),
    field('Name', h('input', { name: 'name', id: 'found-name', required: true, maxlength: 64, autocomplete: 'off' })),
    field('Unit code', h('input', { name: 'unit', id: 'found-unit', required: true, pattern: '[A-Z0-9]{1,8}', autocomplete: 'off' }), '1 to 8 of A-Z 0-9'),
    field('Decimals', h('input', { name: 'decimals', type: 'number', min: 0, max: 9, value: 2, required: true })),
    field('Credit line of each member', h('input', { name: 'line', id: 'found-line', required: true, inputmode: 'decimal', value: '100' })),
    field('Who may join', h('select', { name: 'open', id: 'found-open' }, h('option', { value: 'open' }, 'anyone'), h('option', { value: 'admitted' }, 'those the operators admit'))),
    field('Who decides changes', h('select', { name: 'governance', id: 'found-governance' }, h('option', { value: 'operators' }, 'its operators'), h('option', { value: 'members' }, 'its members, by vote'))),
    field('Hours a vote lasts (members)', h('input', { name: 'hours', type: 'number', min: 1, max: 8784, value: 24 })),
    h('button', { type: 'submit', id: 'found-send' }, 'Found it'),
  ], async (data) => {
    const decimals = Number(data.get('decimals'));
    const line = parseAmount(String(data.get('line')).trim(), decimals);
    if (line === null || line < 0n) throw new Error('the credit line is not an amount');
    const policy = newNetworkPolicy({ defaultLine: line, open: data.get('open') === 'open', governance: data.get('governance'), votingHours: Number(data.get('hours')) });
    await signAndShow(sodium, key, 'network_create', { name: data.get('name'), unit_code: data.get('unit'), decimals, policy }, `Found ${data.get('name')}`, refresh);
    return null;
  });
}
