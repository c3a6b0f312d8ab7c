// networks.js: the chain's networks, read once per view and kept by id, and helpers
// about a member's money in one (what it can pay now, the credit it has left).
import { get } from './api.js';
import { formatAmount } from './amount.js';

export async function networksById() {
  const list = [];
  let cursor = null;
  for (let page = 0; page < 20; page++) {
    const answer = await get('/networks', { after: cursor, limit: 500 });
    list.push(...answer.networks);
    if (answer.next === undefined || answer.next === null || answer.networks.length === 0) break;
    cursor = answer.next;
  }
  return new Map(list.map((n) => [n.id, n]));
}

/** Credit left on a line: the limit less the debt (a positive balance leaves it whole). */
export function creditLeft(membership) {
  return Math.max(0, membership.limit + Math.min(0, membership.balance));
}

/**
 * The most fees a payment of amount (minor units) can cost: the network's fee and the
 * line's risk fee, rounded up. The node takes what is due, never more than this.
 */
export function maxFee(network, membership, amount) {
  const value = BigInt(amount);
  const up = (bps) => (value * BigInt(bps) + 9999n) / 10000n; // each part rounded up
  return up(network.policy.fee_bps) + up(membership.line?.risk_fee_bps ?? 0);
}

/** An amount of a network's unit for people: "12.50 GVH". */
export function money(amount, network) {
  return `${formatAmount(BigInt(amount), network.decimals)} ${network.unit}`;
}
