// views/reserve.js: a member and the network's reserve asset (DESIGN.md "Assurance
// pool", docs/UNDERWRITING.md): what it holds of the asset; depositing into the pool
// (pool shares), withdrawing shares (from the pool's excess), redeeming positive
// credits for reserve at the peg; and underwriting: staking reserve behind another
// member's line (its limit grows by what the stake covers) and taking a stake back.
// Each form says in the network's words what it will do before the passphrase.
import { get } from '../api.js';
import { decodeAddress } from '../address.js';
import { formatAmount, parseAmount } from '../amount.js';
import { field, h, notice } from '../dom.js';
import { money } from '../networks.js';
import { signAndShow } from '../sign.js';
import { actionForm, resolveMember } from './wallet.js';

function amountIn(text, decimals, unit) {
  const value = parseAmount(String(text ?? '').trim(), decimals);
  if (value === null || value <= 0n) throw new Error(`the amount is not a positive amount of ${unit}`);
  return value;
}

/** A small form of one amount and a button, for one pool or stake action. */
function amountForm(id, label, button, submit) {
  return actionForm({ id, class: 'inline-form' }, [
    field(label, h('input', { name: 'amount', id: `${id}-amount`, inputmode: 'decimal', required: true, autocomplete: 'off' })),
    h('button', { type: 'submit', id: `${id}-send` }, button),
  ], (data) => submit(data.get('amount')));
}

export async function reserveSection(sodium, key, membership, network, holdings, refresh) {
  const pool = network.pool;
  if (!pool?.asset) return null;
  const id = network.id;
  const [asset, stakes] = await Promise.all([
    get(`/assets/${pool.asset}`),
    get(`/networks/${id}/stakes`, { underwriter: key.address }).catch(() => ({ stakes: [] })),
  ]);
  const reserve = (v) => `${formatAmount(BigInt(v), asset.decimals)} ${asset.code}`;
  const held = BigInt(holdings.find((x) => x.asset === pool.asset)?.amount ?? 0);
  const shares = BigInt(membership.pool_shares ?? 0);
  const peg = `${pool.peg_reserve_units} ${asset.code} unit${pool.peg_reserve_units === 1 ? '' : 's'} for ${pool.peg_credit_units} ${network.unit} unit${pool.peg_credit_units === 1 ? '' : 's'}`;

  const deposit = held > 0n && amountForm(`pool-deposit-${id}`, `Deposit into the pool (${asset.code})`, 'Deposit', (text) => {
    const amount = amountIn(text, asset.decimals, asset.code);
    return signAndShow(sodium, key, 'pool_deposit', { network_id: id, amount },
      `Deposit ${reserve(amount)} into ${network.name}'s pool (for pool shares)`, refresh);
  });
  const withdraw = shares > 0n && amountForm(`pool-withdraw-${id}`, `Withdraw pool shares (of your ${shares})`, 'Withdraw', (text) => {
    const amount = parseAmount(String(text).trim(), 0);
    if (amount === null || amount <= 0n) throw new Error('shares are a whole number, like 100');
    return signAndShow(sodium, key, 'pool_withdraw', { network_id: id, amount },
      `Withdraw ${amount} pool shares of ${network.name} (paid from the pool's excess)`, refresh);
  });
  const redeem = membership.balance > 0 && amountForm(`pool-redeem-${id}`, `Redeem credits for ${asset.code} (${network.unit})`, 'Redeem', (text) => {
    const amount = amountIn(text, network.decimals, network.unit);
    return signAndShow(sodium, key, 'pool_redeem', { network_id: id, amount },
      `Redeem ${money(amount, network)} for ${asset.code} at the peg (${peg})`, refresh);
  });

  const stake = actionForm({ id: `stake-${id}`, class: 'inline-form' }, [
    field('Underwrite a member', h('input', { name: 'member', id: `stake-${id}-member`, required: true, autocomplete: 'off', placeholder: 'alias or address' })),
    field(`Stake (${asset.code})`, h('input', { name: 'amount', id: `stake-${id}-amount`, inputmode: 'decimal', required: true, autocomplete: 'off' })),
    h('button', { type: 'submit', id: `stake-${id}-send` }, 'Stake'),
  ], async (data) => {
    const who = String(data.get('member')).trim();
    const address = await resolveMember(sodium, id, who);
    if (address === key.address) throw new Error('a member cannot underwrite its own line');
    const amount = amountIn(data.get('amount'), asset.decimals, asset.code);
    // what the stake covers: its value at the peg * 10000 / the collateral ratio, rounded down
    const covers = (amount * BigInt(pool.peg_credit_units) * 10000n) / (BigInt(pool.peg_reserve_units) * BigInt(network.policy.collateral_ratio_bps || 10000));
    return signAndShow(sodium, key, 'stake', { network_id: id, member: decodeAddress(sodium, address), amount },
      `Stake ${reserve(amount)} behind ${who}'s line (it covers ${money(covers, network)} more credit)`, refresh);
  });

  const mine = stakes.stakes.filter((s) => s.amount > 0);
  const stakeList = mine.length > 0 && h('ul', { class: 'plain', id: `stakes-${id}` }, mine.map((s) => h('li', { id: `stake-row-${s.id}` },
    `Behind ${s.member_name ?? s.member}'s line: ${reserve(s.amount)} staked, covering ${money(s.cover, network)}; earned ${money(s.earned, network)}`,
    s.slashed ? `, slashed ${reserve(s.slashed)}` : '', ' ',
    actionForm({ class: 'inline', id: `unstake-${s.id}` }, [
      h('input', { name: 'amount', class: 'short', id: `unstake-${s.id}-amount`, 'aria-label': `${asset.code} to take back from the stake behind ${s.member_name ?? 'this line'}`, inputmode: 'decimal', required: true, placeholder: asset.code }),
      h('button', { type: 'submit', class: 'small secondary', id: `unstake-${s.id}-send` }, 'Take back'),
    ], async (data) => {
      const amount = amountIn(data.get('amount'), asset.decimals, asset.code);
      return signAndShow(sodium, key, 'unstake', { network_id: id, member: decodeAddress(sodium, s.member), amount },
        `Take back ${reserve(amount)} staked behind ${s.member_name ?? s.member}'s line`, refresh);
    }))));

  return h('details', { class: 'card-part reserve', id: `reserve-${id}` },
    h('summary', {}, `Reserve (${asset.code}), pool and underwriting`),
    h('p', { id: `reserve-held-${id}` }, `You hold ${reserve(held)}. The peg: ${peg}. ` +
      `The pool holds ${reserve(pool.primary)} primary, ${reserve(pool.buffer)} buffer, ${reserve(pool.excess)} excess.`),
    held === 0n && shares === 0n && membership.balance <= 0 && mine.length === 0 &&
      notice('info', `You hold no ${asset.code}: its issuer or another holder can send you some (the CLI's tally asset).`),
    deposit, withdraw, redeem, held > 0n && stake, stakeList);
}
