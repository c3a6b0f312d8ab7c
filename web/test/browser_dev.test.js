// The web app on a development chain (tallyd --dev --demo), whose clock the test moves
// forward: members' governance from founding a network to a change applied by vote;
// the dashboard's plots of completed health periods, compared figure by figure with
// the API's (read from each plot's data, not from its pixels); and a gateway the
// members vote to propose, which the partner's operator accepts.
import './node_compat.js';
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from './browser_harness.js';

const s = new Session({ dev: true });
before(() => s.start());
afterEach(() => s.closePages());
after(() => s.stop());

const HOUR = 3600, DAY = 86400;

/** Moves the clock and waits until the node's tip is past that moment. */
async function advanceAndSettle(seconds) {
  const before = (await s.api('/status')).tip_time;
  await s.advance(seconds);
  for (let i = 0; i < 100; i++) {
    const status = await s.api('/status');
    if (status.tip_time >= before + seconds && status.mempool === 0) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no block came after the clock moved');
}

/** Moves the clock past a one-hour vote; a proposal that passed is applied at the next
 * block's end (no timelock). Its status then. */
async function pastTheVote(id) {
  await advanceAndSettle(HOUR + 60);
  let status = (await s.api(`/proposals/${id}`)).status;
  if (status === 'passed') {
    await advanceAndSettle(1);
    status = (await s.api(`/proposals/${id}`)).status;
  }
  return status;
}

test('members found a network they govern, propose a fee, vote, and the change applies', async () => {
  const pages = {};
  for (const name of ['alice', 'bob', 'carol']) {
    pages[name] = await s.newPage();
    await s.importKeyFile(pages[name], name);
  }
  // alice founds Commons: open to anyone, changes decided by its members in 1-hour votes
  const alice = pages.alice;
  await s.open(alice, '#/console');
  await alice.locator('#found-name').fill('Commons');
  await alice.locator('#found-unit').fill('CMN');
  await alice.locator('#found-line').fill('100');
  await alice.locator('#found-open').selectOption('open');
  await alice.locator('#found-governance').selectOption('members');
  await alice.locator('#found input[name=hours]').fill('1');
  await alice.locator('#found-send').click();
  await s.sign(alice);
  await s.outcome(alice, '#found');
  const commons = (await s.api('/networks')).networks.find((n) => n.name === 'Commons');
  assert.ok(commons, 'the network exists');
  assert.deepEqual([commons.unit, commons.policy.governance.mode, commons.policy.membership_mode, commons.policy.fee_bps,
    commons.policy.default_credit_limit], ['CMN', 'members', 'open', 100, 10000]);

  // the three join from their wallets
  for (const name of ['alice', 'bob', 'carol']) {
    await s.open(pages[name], '#/wallet');
    await pages[name].locator(`#join-${commons.id}`).click();
    await s.sign(pages[name]);
    await s.outcome(pages[name], '.join');
  }
  assert.equal((await s.api(`/networks/${commons.id}`)).members, 3);

  // bob proposes a 2% fee; alice and bob vote yes, carol no
  const bob = pages.bob;
  await s.open(bob, '#/console');
  await bob.locator(`#propose-kind-${commons.id}`).selectOption('fee');
  await bob.locator(`#propose-value-${commons.id}`).fill('2');
  await bob.locator(`#propose-send-${commons.id}`).click();
  await s.expectDialogSays(bob, 'Propose a base fee of 2% in Commons');
  await s.sign(bob);
  await s.outcome(bob, `#propose-${commons.id}`);
  const proposal = (await s.api(`/networks/${commons.id}/proposals`)).proposals[0];
  assert.deepEqual([proposal.status, proposal.action.type, proposal.action.policy.fee_bps, proposal.eligible_weight], ['voting', 'policy_update', 200, 3]);
  for (const [name, choice] of [['alice', 'yes'], ['bob', 'yes'], ['carol', 'no']]) {
    await s.open(pages[name], '#/console');
    await pages[name].locator(`#vote-${proposal.id}-${choice}`).click();
    await s.sign(pages[name]);
    await s.outcome(pages[name], `#proposal-${proposal.id}`);
  }
  const counted = await s.api(`/proposals/${proposal.id}`);
  assert.deepEqual([counted.yes, counted.no, counted.abstain, counted.quorum_reached, counted.threshold_reached], [2, 1, 0, true, true]);
  await s.screenshot(bob, 'governance-voting-desktop');

  // an hour later the vote is over; with no timelock the change applies
  assert.equal(await pastTheVote(proposal.id), 'executed');
  // a higher fee touches others' money: it is announced, and in force after the week's notice
  const announced = await s.api(`/networks/${commons.id}`);
  assert.equal(announced.policy.fee_bps, 100);
  assert.equal(announced.announced.policy.fee_bps, 200);
  await advanceAndSettle(7 * DAY + 60);
  assert.equal((await s.api(`/networks/${commons.id}`)).policy.fee_bps, 200);
  await s.open(bob, '#/console');
  assert.equal(await bob.locator(`#proposal-status-${proposal.id}`).textContent(), 'executed');
  assert.equal(await bob.locator(`#vote-${proposal.id}-yes`).count(), 0, 'no vote once it is over');
  await s.screenshot(bob, 'governance-executed-desktop');
  assert.deepEqual(s.dialogs, []);
});

test('the dashboard plots the health periods with the API\'s figures', async () => {
  // Greenvale's health periods are 30 days: two of them end
  await advanceAndSettle(31 * DAY);
  await advanceAndSettle(31 * DAY);
  // the index trails the chain by a batch: wait for it to hold both periods
  let history = [];
  for (let i = 0; i < 100 && history.length < 2; i++) {
    history = (await s.api('/networks/1/health?limit=500')).history.filter((p) => p.known).reverse();
    if (history.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(history.length >= 2, `${history.length} periods known`);
  const page = await s.newPage();
  await s.open(page, '#/dashboard/1');
  await page.waitForSelector('#plot-supply-debt canvas');
  const plots = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('figure.plot')].map((f) =>
    [f.id, { data: f.tallyPlot.data, series: f.tallyPlot.series.map((x) => x.key) }])));
  assert.deepEqual(Object.keys(plots).sort(), ['plot-concentration', 'plot-defaults', 'plot-pool', 'plot-rtd', 'plot-supply-debt', 'plot-utilisation-velocity']);
  const at = (p, path) => path.split('.').reduce((x, part) => x?.[part], p) ?? null;
  for (const [id, plot] of Object.entries(plots)) {
    assert.deepEqual(plot.data[0], history.map((p) => p.ended_at), `${id}: the periods' ends`);
    plot.series.forEach((key, i) => assert.deepEqual(plot.data[i + 1], history.map((p) => at(p, key)), `${id}: ${key}`));
  }
  assert.ok(history.some((p) => p.supply > 0), 'the figures are not all zero');
  // the pool's parts, as the blocks that ended the periods left them: the demo's deposit
  // of 300.00 USD, split between primary and excess (no repayment in reserve: no buffer)
  for (const p of history) {
    assert.ok(p.pool, `period ${p.period}: the pool's parts are known`);
    assert.deepEqual([p.pool.primary + p.pool.excess, p.pool.buffer], [30000, 0], `period ${p.period}`);
  }
  await s.screenshot(page, 'dashboard-plots-desktop');
  const phone = await s.newPage(390);
  await s.open(phone, '#/dashboard/1');
  await phone.waitForSelector('#plot-supply-debt canvas');
  await s.screenshot(phone, 'dashboard-plots-phone');
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth) <= 390);
});

test('members vote to propose a gateway to Greenvale; Greenvale\'s operator accepts it in the console', async () => {
  const commons = (await s.api('/networks')).networks.find((n) => n.name === 'Commons');
  assert.ok(commons, 'the first test founded Commons');
  const pages = {};
  for (const name of ['alice', 'bob']) {
    pages[name] = await s.newPage();
    await s.importKeyFile(pages[name], name);
  }
  const alice = pages.alice;
  await s.open(alice, '#/console');
  await alice.locator(`#proposal-gateway-partner-${commons.id}`).selectOption('1');
  await alice.locator(`#proposal-gateway-limit-a-${commons.id}`).fill('40.00');
  await alice.locator(`#proposal-gateway-limit-b-${commons.id}`).fill('30.00');
  await alice.locator(`#proposal-gateway-propose-send-${commons.id}`).click();
  await s.expectDialogSays(alice, 'Propose to the vote a gateway from Commons to Greenvale: 1 CMN units for 1 GVH units, Commons lets 40.00 CMN be owed to it, Greenvale 30.00 GVH');
  await s.sign(alice);
  await s.outcome(alice, `#proposal-gateway-propose-${commons.id}`);
  const proposal = (await s.api(`/networks/${commons.id}/proposals`)).proposals.find((p) => p.action.type === 'gateway_propose');
  assert.ok(proposal, 'the proposal');
  assert.deepEqual([proposal.action.partner, proposal.action.side_a.limit, proposal.action.side_b.limit, proposal.status], [1, 4000, 3000, 'voting']);
  assert.match(await alice.locator(`#proposal-${proposal.id}`).textContent(), /open a gateway to Greenvale: 1 CMN units for 1 of theirs, Commons lets 40\.00 CMN be owed to it/);
  for (const name of ['alice', 'bob']) {
    await s.open(pages[name], '#/console');
    await pages[name].locator(`#vote-${proposal.id}-yes`).click();
    await s.sign(pages[name]);
    await s.outcome(pages[name], `#governance-${commons.id}`);
  }
  assert.equal(await pastTheVote(proposal.id), 'executed');
  const gateway = (await s.api(`/gateways?network=${commons.id}`)).gateways.find((g) => g.status === 'proposed');
  assert.ok(gateway, 'the gateway is proposed by the governance');
  assert.deepEqual([gateway.network_a, gateway.network_b], [commons.id, 1]);

  const operator = await s.newPage();
  await s.importKeyFile(operator, 'operator');
  await s.open(operator, '#/console');
  await operator.locator(`#gateway-accept-${gateway.id}`).click();
  await s.sign(operator);
  await s.outcome(operator, '#gateways-1');
  const open = await s.api(`/gateways/${gateway.id}`);
  assert.deepEqual([open.status, open.a.limit, open.b.limit], ['open', 4000, 3000]);
  assert.deepEqual(s.dialogs, []);
});
