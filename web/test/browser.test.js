// The web app in a real browser: Debian's Chromium, headless, driven by npm's
// playwright-core, against a real tallyd with the demo networks (browser_harness.js).
// The stories members and operators live:
//   a new member makes a key in the browser; the operator imports its key file from
//   the demo's wallet and admits the member in the console; the member pays bob
//   12.50 GVH with a memo that is HTML; both see it in their history (the memo as
//   text); the member downloads a CSV statement with the right rows;
//   a payment request paid from its QR code's link in a second browser;
//   a marketplace order from the listing to both reviews;
//   a payment over two gateways to another network.
// Every request the pages make is recorded: none carries a seed, a secret key or a
// passphrase. Screenshots of each page at desktop and phone width go to
// build/screenshots/.
import './node_compat.js';
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadSodium } from '../js/sodium.js';
import { unsealKey } from '../js/keyfile.js';
import { toHex } from '../js/encoding.js';
import { join } from 'node:path';
import { DEMO_PASSPHRASE, Session } from './browser_harness.js';
import { writeCodeVideo } from './qr_pixels.js';

const MEMBER_PASSPHRASE = 'zoe keeps bees';
const HOSTILE_MEMO = '<img src=x onerror=alert(1)>';

const sodium = await loadSodium();
const s = new Session();
before(() => s.start());
afterEach(() => s.closePages());
after(() => s.stop());

test('a new member makes a key, is admitted in the console, pays bob and gets a statement', async () => {
  const bob = (await s.api('/networks/1/accounts/bob')).address;
  const bobBefore = (await s.api(`/networks/1/accounts/${bob}`)).balance;

  // the member: a key made in the browser
  const member = await s.newPage();
  await s.screenshot(member, 'wallet-new-desktop');
  await member.locator('#key-name').fill('zoe');
  await member.locator('#key-passphrase').fill(MEMBER_PASSPHRASE);
  await member.locator('#key-passphrase-again').fill(MEMBER_PASSPHRASE);
  await member.locator('#key-create').click();
  const address = (await member.locator('#my-address').textContent()).trim();
  assert.match(address, /^tly1[a-z2-7]{58}$/);
  assert.equal((await s.api(`/accounts/${address}`)).memberships.length, 0);

  // the member asks Greenvale (admitted by its operators) to admit it: a link, as text and as a code
  await member.locator('#ask-admission-1').click();
  const ask = await member.locator('#ask-1 a.admission-link').getAttribute('href');
  assert.equal(ask, `${s.base}/#/console/admit/1/${address}`);
  assert.equal(await member.locator('#ask-1 svg.qr').getAttribute('data-text'), ask);

  // the operator: its key file from the demo's wallet, then the console the link opens
  const operator = await s.newPage();
  await s.importKeyFile(operator, 'operator');
  await s.open(operator, ask.slice(s.base.length + 1));
  assert.equal(await operator.locator('#admit-address-1').inputValue(), address);
  assert.match(await operator.locator('#admission-asked').textContent(), new RegExp(`^${address} asks to be admitted to Greenvale`));
  await operator.locator('#admit-send-1').click();
  await s.sign(operator, DEMO_PASSPHRASE);
  await s.outcome(operator, '#admit-1');
  await s.screenshot(operator, 'console-desktop');
  const admitted = (await s.api(`/networks/1/accounts/${address}`));
  assert.equal(admitted.status, 'active');
  assert.equal(admitted.limit, 50000); // Greenvale's default line: 500.00 GVH

  // the member pays bob 12.50 GVH
  await member.reload();
  await member.waitForSelector('#network-1');
  assert.equal(await member.locator('#balance-1').textContent(), '0.00 GVH');
  assert.equal(await member.locator('#credit-1').textContent(), '500.00 GVH');
  await member.locator('#pay-to-1').fill('bob');
  await member.locator('#pay-amount-1').fill('12.50');
  await member.locator('#pay-memo-1').fill(HOSTILE_MEMO);
  await member.locator('#pay-send-1').click();
  await s.expectDialogSays(member, 'Pay 12.50 GVH to bob (fees at most 0.20 GVH)');
  await s.sign(member, MEMBER_PASSPHRASE);
  await s.outcome(member, '#pay-1');

  // what the chain says: bob got 12.50; the member paid it and its fees on credit
  const after = await s.api(`/networks/1/accounts/${address}`);
  const history = (await s.api(`/networks/1/accounts/${address}/history?limit=500`)).entries;
  const payment = history.find((e) => e.type === 'transfer');
  assert.ok(payment, 'the payment is in the member\'s history');
  assert.equal(payment.amount, -1250);
  assert.equal(payment.fee, 20); // 1% network fee (0.13) and 0.5% risk fee on credit (0.07), each rounded up
  assert.equal(payment.memo, HOSTILE_MEMO);
  assert.equal(after.balance, -1270);
  assert.equal((await s.api(`/networks/1/accounts/${bob}`)).balance, bobBefore + 1250);

  // the member's page: the new figures, and the memo as text (no element, no alert)
  await member.reload();
  await member.waitForSelector('#history-1 table');
  assert.equal(await member.locator('#balance-1').textContent(), '-12.70 GVH');
  assert.equal(await member.locator('#credit-1').textContent(), '487.30 GVH');
  assert.equal(await member.locator('#available-1').textContent(), '487.30 GVH');
  const row = member.locator('#history-1 tbody tr').first();
  assert.equal(await row.locator('td.memo').textContent(), HOSTILE_MEMO);
  assert.equal(await member.locator('#history-1 img').count(), 0);
  assert.match(await row.textContent(), /bob.*-12\.50 GVH.*0\.20 GVH/);
  await s.screenshot(member, 'wallet-desktop');

  // bob's page sees it too, from the member's address
  const bobPage = await s.newPage();
  await s.importKeyFile(bobPage, 'bob');
  await bobPage.waitForSelector('#history-1 table');
  const bobRow = bobPage.locator('#history-1 tbody tr').first();
  assert.match(await bobRow.textContent(), /12\.50 GVH/);
  assert.equal(await bobRow.locator('td.memo').textContent(), HOSTILE_MEMO);
  assert.equal(await bobRow.locator('.address').getAttribute('title'), address);

  // the statement: one row per history entry, the payment's exactly
  const [download] = await Promise.all([member.waitForEvent('download'), member.locator('#statement-1').click()]);
  const csv = readFileSync(await download.path(), 'utf8').split('\r\n').filter((l) => l);
  assert.equal(csv[0], 'date,block,transaction,type,counterparty,counterparty_name,amount,fee,unit,memo');
  assert.equal(csv.length, 1 + history.length);
  const line = csv.find((l) => l.includes(`,${payment.tx},`));
  assert.equal(line, [new Date(payment.time * 1000).toISOString(), payment.height, payment.tx, 'transfer', bob, 'bob',
    '-12.50', '0.20', 'GVH', HOSTILE_MEMO].join(','));
  assert.equal(download.suggestedFilename(), 'statement-GVH-zoe.csv');

  // the member's key: its seed and secret never left the page
  const stored = await member.evaluate(() => JSON.parse(localStorage.getItem('tally.keys')));
  assert.equal(stored.length, 1);
  assert.equal(stored[0].address, address);
  assert.equal(Object.keys(stored[0]).sort().join(','), 'address,kdf,memlimit,name,nonce,opslimit,salt,sealed_seed,version');
  const secrets = [MEMBER_PASSPHRASE, DEMO_PASSPHRASE];
  for (const file of [stored[0], JSON.parse(readFileSync(s.keyFile('operator'), 'utf8'))]) {
    const pair = unsealKey(sodium, file, file === stored[0] ? MEMBER_PASSPHRASE : DEMO_PASSPHRASE);
    const seed = toHex(pair.privateKey.subarray(0, 32));
    secrets.push(seed, toHex(pair.privateKey), Buffer.from(pair.privateKey.subarray(0, 32)).toString('base64'));
  }
  assert.ok(s.requests.length > 20, `requests were recorded (${s.requests.length})`);
  const posts = s.requests.filter((r) => r.method === 'POST');
  assert.equal(posts.length, 2, 'two transactions were sent: the admission and the payment');
  for (const r of s.requests)
    for (const secret of secrets)
      assert.ok(!r.url.includes(secret) && !r.body.includes(secret), `a secret left the browser in ${r.method} ${r.url}`);
  assert.deepEqual(s.dialogs, []);

  // the other pages, and every page at phone width
  for (const view of ['market', 'dashboard']) {
    await member.goto(`${s.base}/#/${view}`);
    await member.waitForSelector(view === 'market' ? '.listing' : '#figures');
    await s.screenshot(member, `${view}-desktop`);
  }
  const phone = await s.newPage(390);
  await s.screenshot(phone, 'wallet-new-phone');
  await s.importKeyFile(phone, 'alice');
  await phone.waitForSelector('#history-1 table');
  await s.screenshot(phone, 'wallet-phone');
  for (const view of ['market', 'dashboard', 'console']) {
    await phone.goto(`${s.base}/#/${view}`);
    await phone.waitForTimeout(500);
    await s.screenshot(phone, `${view}-phone`);
  }
  // at 390 px nothing is wider than the screen (the tables scroll in their box)
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 390, `the page is ${overflow} px wide at 390`);
});

test('a payment request made in one browser is paid from its QR code\'s link in another', async () => {
  const alice = (await s.api('/networks/1/accounts/alice')).address, bob = (await s.api('/networks/1/accounts/bob')).address;
  const aliceBefore = (await s.api(`/networks/1/accounts/${alice}`)).balance;
  const bobBefore = (await s.api(`/networks/1/accounts/${bob}`)).balance;

  const payee = await s.newPage();
  await s.importKeyFile(payee, 'bob');
  await payee.locator('#request-payer-1').fill('alice');
  await payee.locator('#request-amount-1').fill('3.20');
  await payee.locator('#request-memo-1').fill('half a dozen eggs');
  await payee.locator('#request-send-1').click();
  await s.expectDialogSays(payee, 'Ask alice for 3.20 GVH');
  await s.sign(payee, DEMO_PASSPHRASE);
  const share = payee.locator('#request-1 .request-share');
  await share.waitFor({ timeout: 30000 });
  const link = await share.locator('svg.qr').getAttribute('data-text');
  assert.match(link, new RegExp(`^${s.base}/#/pay/\\d+$`));
  assert.equal(await share.locator('a.request-link').getAttribute('href'), link);
  assert.ok(await share.locator('svg.qr path').getAttribute('d'), 'the QR code has modules');
  const id = Number(link.split('/').pop());
  const request = await s.api(`/requests/${id}`);
  assert.deepEqual([request.payer, request.payee, request.amount, request.memo, request.status], [alice, bob, 320, 'half a dozen eggs', 'open']);
  await s.screenshot(payee, 'request-made-desktop');

  // another browser, alice's phone: a photo of the code (the pixels the page drew),
  // read in the page, opens the request
  const photo = await share.locator('svg.qr').screenshot();
  const payer = await s.newPage(390);
  await s.importKeyFile(payer, 'alice');
  await payer.locator('#scan summary').click();
  await payer.locator('#scan-file').setInputFiles({ name: 'code.png', mimeType: 'image/png', buffer: photo });
  await payer.waitForSelector('#request-pay-send');
  assert.equal(new URL(payer.url()).hash, `#/pay/${id}`);
  assert.equal(await payer.locator('#request-amount').textContent(), '3.20 GVH');
  await s.screenshot(payer, 'request-pay-phone');
  await payer.locator('#request-pay-send').click();
  await s.expectDialogSays(payer, `Pay request ${id}: 3.20 GVH to bob (fees at most 0.06 GVH)`);
  await s.sign(payer, DEMO_PASSPHRASE);
  await s.outcome(payer, '#request-pay');
  assert.equal(await payer.locator('#request-status').textContent(), 'paid');
  assert.equal((await s.api(`/requests/${id}`)).status, 'paid');
  // alice has a positive balance: no risk fee, the network's 1% of 3.20 rounded up
  assert.equal((await s.api(`/networks/1/accounts/${alice}`)).balance, aliceBefore - 320 - 4);
  assert.equal((await s.api(`/networks/1/accounts/${bob}`)).balance, bobBefore + 320);
  assert.deepEqual(s.dialogs, []);
});

test('the camera: a code of bob\'s address filmed by the phone fills Pay\'s To field; a photo without a code is said so', async () => {
  const bob = (await s.api('/networks/1/accounts/bob')).address;
  const video = join(s.data, 'bob-code.y4m');
  writeCodeVideo(video, bob);
  const page = await s.newCameraPage(video);
  await s.importKeyFile(page, 'alice');
  await page.locator('#scan summary').click();
  await page.locator('#scan-camera').click();
  await page.locator('#scan-outcome .notice.ok').waitFor({ timeout: 20000 });
  assert.equal(await page.locator('#scan-outcome').textContent(), `The code holds the address ${bob}: it is in the To field of Pay.`);
  assert.equal(await page.locator('#pay-to-1').inputValue(), bob);
  assert.equal(await page.locator('#scan-video').isHidden(), true, 'the camera is put away');
  assert.equal(await page.evaluate(() => document.getElementById('scan-video').srcObject), null, 'and released');
  // a picture without a code
  await page.locator('#scan-file').setInputFiles({ name: 'wall.png', mimeType: 'image/png', buffer: await page.locator('header').screenshot() });
  await page.locator('#scan-outcome .notice.error').waitFor();
  assert.equal(await page.locator('#scan-outcome').textContent(), 'No QR code found in wall.png: take the photo closer, with the whole code in it.');
});

test('a marketplace order from the listing to both reviews', async () => {
  const carol = (await s.api('/networks/1/accounts/carol')).address, bob = (await s.api('/networks/1/accounts/bob')).address;
  const bobBefore = (await s.api(`/networks/1/accounts/${bob}`)).balance;

  // the seller publishes an offer
  const seller = await s.newPage();
  await s.importKeyFile(seller, 'bob');
  await s.open(seller, '#/market/1');
  await seller.locator('#publish-title').fill('Honey, a jar');
  await seller.locator('#publish-price').fill('6.00');
  await seller.locator('#publish-1 input[name=quantity]').fill('5');
  await seller.locator('#publish-send').click();
  await s.sign(seller, DEMO_PASSPHRASE);
  await s.outcome(seller, '#publish-1');
  const listing = (await s.api('/networks/1/listings?q=honey')).listings.find((l) => l.title === 'Honey, a jar');
  assert.ok(listing, 'the listing is found by its text');
  assert.deepEqual([listing.seller, listing.price, listing.quantity, listing.kind], [bob, 600, 5, 'offer']);

  // the buyer finds it and orders two jars: 12.00 GVH held
  const buyer = await s.newPage();
  await s.importKeyFile(buyer, 'carol');
  await s.open(buyer, '#/market/1');
  await buyer.locator('#market-q').fill('honey');
  await buyer.locator('#market-search').click();
  await buyer.locator('#listings[data-query="honey"][aria-busy="false"]').waitFor();
  await buyer.locator(`#listing-${listing.id} #order-quantity-${listing.id}`).fill('2');
  await buyer.locator(`#order-send-${listing.id}`).click();
  await s.expectDialogSays(buyer, 'Order 2 × “Honey, a jar” for 12.00 GVH (fees at most 0.18 GVH)');
  await s.sign(buyer, DEMO_PASSPHRASE);
  await s.outcome(buyer, `#order-${listing.id}`);
  const order = (await s.api(`/networks/1/orders?member=${carol}&role=buyer`)).orders.find((o) => o.listing === listing.id);
  assert.deepEqual([order.status, order.amount, order.quantity], ['placed', 1200, 2]);
  assert.equal(await buyer.locator(`#order-status-${order.id}`).textContent(), 'placed');
  await s.screenshot(buyer, 'market-order-desktop');

  // seller accepts; buyer confirms delivery: bob is paid 12.00
  const step = async (page, button, passphrase = DEMO_PASSPHRASE) => {
    await s.open(page, '#/market/1');
    await page.locator(button).click();
    await s.sign(page, passphrase);
    await s.outcome(page, '#orders');
  };
  await step(seller, `#order_accept-${order.id}`);
  assert.equal((await s.api(`/orders/${order.id}`)).status, 'accepted');
  await step(buyer, `#order_confirm-${order.id}`);
  const done = await s.api(`/orders/${order.id}`);
  assert.deepEqual([done.status, done.paid], ['completed', 1200]);
  assert.equal((await s.api(`/networks/1/accounts/${bob}`)).balance, bobBefore + 1200);

  // each side reviews the other, once
  await s.open(buyer, '#/market/1');
  await buyer.locator(`#review-rating-${order.id}`).selectOption('5');
  await buyer.locator(`#review-text-${order.id}`).fill('Lovely honey');
  await buyer.locator(`#review-send-${order.id}`).click();
  await s.sign(buyer, DEMO_PASSPHRASE);
  await s.outcome(buyer, '#orders');
  assert.equal(await buyer.locator(`#review-${order.id}`).count(), 0, 'no second review is offered');
  await s.open(seller, '#/market/1');
  await seller.locator(`#review-rating-${order.id}`).selectOption('4');
  await seller.locator(`#review-text-${order.id}`).fill('Paid at once');
  await seller.locator(`#review-send-${order.id}`).click();
  await s.sign(seller, DEMO_PASSPHRASE);
  await s.outcome(seller, '#orders');
  const reviewed = await s.api(`/orders/${order.id}`);
  assert.deepEqual([reviewed.buyer_rating, reviewed.seller_rating], [5, 4]);
  const bobReviews = (await s.api(`/networks/1/accounts/${bob}/reviews`)).reviews;
  assert.ok(bobReviews.some((r) => r.order === order.id && r.rating === 5 && r.text === 'Lovely honey'), JSON.stringify(bobReviews));
  await s.screenshot(seller, 'market-reviewed-desktop');
  assert.match(await seller.locator(`#listing-${listing.id} .price`).textContent(), / 3 left .* ★ 5\.00 \(1\)/);
  assert.deepEqual(s.dialogs, []);
});

test('a payment over two gateways to a member of another network, with what the payee gets', async () => {
  const alice = (await s.api('/networks/1/accounts/alice')).address, frank = (await s.api('/networks/3/accounts/frank')).address;
  const priced = await s.api(`/paths?from=alice@1&to=frank@3&amount=1000&path=1,2`);
  const path = priced.paths[0];
  assert.deepEqual(path.gateways, [1, 2]);
  const aliceBefore = (await s.api(`/networks/1/accounts/${alice}`)).balance;
  const frankBefore = (await s.api(`/networks/3/accounts/${frank}`)).balance;
  const hilltop = await s.api('/networks/3');

  const page = await s.newPage();
  await s.importKeyFile(page, 'alice');
  await page.locator('#pay-to-1').fill('frank@Hilltop');
  await page.locator('#pay-amount-1').fill('10.00');
  await page.locator('#pay-send-1').click();
  const choice = page.locator('#path-1-1-2');
  await choice.waitFor({ timeout: 20000 });
  const gets = `${(path.received / 10 ** hilltop.decimals).toFixed(hilltop.decimals)} HLT`;
  assert.match(await page.locator('label.choice', { has: choice }).textContent(), new RegExp(`frank gets ${gets.replace('.', '\\.')} via Riverside \\(2 hops`));
  await choice.check();
  await s.screenshot(page, 'pay-across-desktop');
  await page.locator('#paths-send-1').click();
  await s.sign(page, DEMO_PASSPHRASE);
  await s.outcome(page, '#paths-1');
  assert.equal((await s.api(`/networks/3/accounts/${frank}`)).balance, frankBefore + path.received);
  assert.equal((await s.api(`/networks/1/accounts/${alice}`)).balance, aliceBefore - 1000 - path.fee);
  const entry = (await s.api(`/networks/1/accounts/${alice}/history?limit=1`)).entries[0];
  assert.deepEqual([entry.type, entry.amount], ['transfer_cross', -1000]);
});

test('the dashboard shows the gateways as a graph and the clearing history, as the API has them', async () => {
  const gateways = (await s.api('/gateways')).gateways, clearings = (await s.api('/clearings')).clearings;
  assert.ok(clearings.length >= 1, 'the demo cleared a cycle');
  const page = await s.newPage();
  await s.open(page, '#/dashboard/1');
  await page.waitForSelector('#gateway-graph svg line');
  const graph = await page.evaluate(() => document.querySelector('#gateway-graph').tallyGraph);
  assert.deepEqual(graph.edges, gateways.map((g) => [g.id, g.network_a, g.network_b]));
  assert.equal(await page.locator('#gateway-graph svg line').count(), gateways.length);
  const first = gateways[0];
  const row = await page.locator(`#gateway-${first.id}`).textContent();
  const side = (x) => `${(x.exposure / 10 ** x.decimals).toFixed(x.decimals)} of ${(x.limit / 10 ** x.decimals).toFixed(x.decimals)} ${x.unit}`;
  assert.ok(row.includes(side(first.a)) && row.includes(side(first.b)), row);
  const rows = page.locator('#clearings tbody tr');
  assert.equal(await rows.count(), clearings.length);
  const newest = clearings[0];
  const cells = await rows.first().locator('.setoff').allTextContents();
  assert.equal(cells.length, newest.setoffs.length);
  newest.setoffs.forEach((o, i) => {
    const g = gateways.find((x) => x.id === o.gateway);
    const text = `#${o.gateway}: ${(o.amount_a / 10 ** g.a.decimals).toFixed(g.a.decimals)} ${g.a.unit} and ${(o.amount_b / 10 ** g.b.decimals).toFixed(g.b.decimals)} ${g.b.unit}`;
    assert.equal(cells[i], text);
  });
  await s.screenshot(page, 'dashboard-gateways-desktop');
});

test('money held: the payer pays a hold from the wallet; pool shares are shown', async () => {
  const carol = (await s.api('/networks/1/accounts/carol')).address, dave = (await s.api('/networks/1/accounts/dave')).address;
  const hold = (await s.api(`/networks/1/holds?member=${dave}`)).holds.find((x) => x.status === 'open' && x.payee === carol);
  assert.ok(hold, "the demo's hold of dave for carol");
  const carolBefore = (await s.api(`/networks/1/accounts/${carol}`)).balance;
  const page = await s.newPage();
  await s.importKeyFile(page, 'dave');
  await page.waitForSelector(`#hold-${hold.id}`);
  assert.match(await page.locator(`#hold-${hold.id}`).textContent(), new RegExp(`you for carol, ${(hold.amount / 100).toFixed(2)} GVH`));
  assert.equal(await page.locator(`#hold-void-${hold.id}`).count(), 0, 'the payer cannot void (the payee or a resolver can)');
  await page.locator(`#hold-post-${hold.id}`).click();
  await s.expectDialogSays(page, `Pay hold ${hold.id}: ${(hold.amount / 100).toFixed(2)} GVH to carol`);
  await s.sign(page);
  await s.outcome(page, `#hold-${hold.id}`);
  assert.equal((await s.api(`/holds/${hold.id}`)).status, 'posted');
  assert.equal((await s.api(`/networks/1/accounts/${carol}`)).balance, carolBefore + hold.amount);
  assert.equal(await page.locator(`#hold-${hold.id}`).count(), 0, 'a posted hold leaves the list');

  const bobPage = await s.newPage();
  await s.importKeyFile(bobPage, 'bob');
  const network = await s.api('/networks/1');
  await bobPage.waitForSelector('#shares-1');
  assert.match(await bobPage.locator('#shares-1').textContent(), new RegExp(`^30000 of ${network.pool.shares} `));
});

test('a batch from a CSV file: three lines paid in one signed transaction; a bad line named', async () => {
  const bob = (await s.api('/networks/1/accounts/bob')).address, carol = (await s.api('/networks/1/accounts/carol')).address;
  const before = {
    bob: (await s.api(`/networks/1/accounts/${bob}`)).balance, carol: (await s.api(`/networks/1/accounts/${carol}`)).balance,
  };
  const page = await s.newPage();
  await s.importKeyFile(page, 'alice');
  await page.locator('#batch-section-1 summary').click();
  // a line naming nobody: refused before anything is signed, with the file's line
  await page.locator('#batch-text-1').fill('bob,1.00\nnobody,2.00\n');
  await page.locator('#batch-read-1').click();
  await page.locator('#batch-1 .outcome .notice.error').waitFor();
  assert.equal(await page.locator('#batch-1 .outcome .notice.error').textContent(), "the lines: line 2: no member 'nobody' in Greenvale");
  await page.locator('#batch-text-1').fill('');
  await page.locator('#batch-file-1').setInputFiles({
    name: 'march.csv', mimeType: 'text/csv',
    buffer: Buffer.from('payee,amount,memo\r\n# March\nbob,1.00,rent\ncarol@Greenvale,2.50,"hours, extra"\nbob,0.25,\n'),
  });
  await page.locator('#batch-read-1').click();
  await page.locator('#batch-pay-1').waitFor();
  assert.equal(await page.locator('#batch-lines-1 tbody tr').count(), 3);
  assert.match(await page.locator('#batch-total-1').textContent(), /^Pay 3\.75 GVH in 3 payments to 2 payees \(fees at most 0\.\d\d GVH\)\. All the lines are paid, or none\.$/);
  await s.screenshot(page, 'wallet-batch-desktop');
  await page.locator('#batch-pay-1').click();
  await s.sign(page);
  assert.match(await s.outcome(page, '#batch-pay-form-1'), /^Paid: Pay 3\.75 GVH in 3 payments to 2 payees/);
  assert.equal((await s.api(`/networks/1/accounts/${bob}`)).balance, before.bob + 125);
  assert.equal((await s.api(`/networks/1/accounts/${carol}`)).balance, before.carol + 250);
  const entries = (await s.api(`/networks/1/accounts/${carol}/history?limit=5`)).entries;
  assert.ok(entries.some((e) => e.amount === 250 && e.memo === 'hours, extra'), 'carol\'s line of the batch, with its memo');
});

test('the reserve: bob deposits into the pool, underwrites carol\'s line and takes the stake back', async () => {
  const bob = (await s.api('/networks/1/accounts/bob')).address, carol = (await s.api('/networks/1/accounts/carol')).address;
  const shares = (await s.api(`/networks/1/accounts/${bob}`)).pool_shares;
  const carolLimit = (await s.api(`/networks/1/accounts/${carol}`)).limit;
  const page = await s.newPage();
  await s.importKeyFile(page, 'bob');
  await page.locator('#reserve-1 summary').click();
  assert.match(await page.locator('#reserve-held-1').textContent(), /^You hold 550\.00 USD\. The peg: 1 USD unit for 1 GVH unit\./);
  await page.locator('#pool-deposit-1-amount').fill('10.00');
  await page.locator('#pool-deposit-1-send').click();
  await s.expectDialogSays(page, "Deposit 10.00 USD into Greenvale's pool (for pool shares)");
  await s.sign(page);
  await s.outcome(page, '#pool-deposit-1');
  const after = await s.api(`/networks/1/accounts/${bob}`);
  assert.ok(after.pool_shares > shares, 'more pool shares');
  assert.equal((await s.api(`/accounts/${bob}`)).holdings.find((x) => x.asset === 1).amount, 54000);

  // 30.00 USD at 1:1 and a collateral ratio of 150% cover 20.00 GVH more of carol's line
  // (the page afresh: the deposit's message at its top would pass for the stake's)
  await s.open(page, '#/wallet');
  await page.locator('#reserve-1 summary').click();
  await page.locator('#stake-1-member').fill('carol');
  await page.locator('#stake-1-amount').fill('30.00');
  await page.locator('#stake-1-send').click();
  await s.expectDialogSays(page, "Stake 30.00 USD behind carol's line (it covers 20.00 GVH more credit)");
  await s.sign(page);
  await s.outcome(page, '#stake-1');
  assert.equal((await s.api(`/networks/1/accounts/${carol}`)).limit, carolLimit + 2000);
  const stake = (await s.api(`/networks/1/stakes?underwriter=${bob}&member=${carol}`)).stakes[0];
  assert.equal(stake.amount, 3000);
  await s.open(page, '#/wallet');
  await page.locator('#reserve-1 summary').click();
  assert.match(await page.locator(`#stake-row-${stake.id}`).textContent(), /^Behind carol's line: 30\.00 USD staked, covering 20\.00 GVH/);
  await page.locator(`#unstake-${stake.id}-amount`).fill('30.00');
  await page.locator(`#unstake-${stake.id}-send`).click();
  await s.sign(page);
  await s.outcome(page, `#unstake-${stake.id}`);
  assert.equal((await s.api(`/networks/1/accounts/${carol}`)).limit, carolLimit);
  assert.equal((await s.api(`/accounts/${bob}`)).holdings.find((x) => x.asset === 1).amount, 54000);
});

test('gateways in the console: the operator founds Lakeside, proposes a gateway to it from Greenvale and accepts it', async () => {
  const operator = await s.newPage();
  await s.importKeyFile(operator, 'operator');
  await s.open(operator, '#/console');
  await operator.locator('#found-name').fill('Lakeside');
  await operator.locator('#found-unit').fill('LKS');
  await operator.locator('#found-line').fill('50');
  await operator.locator('#found-send').click();
  await s.sign(operator);
  await s.outcome(operator, '#found');
  const lakeside = (await s.api('/networks')).networks.find((n) => n.name === 'Lakeside');
  assert.ok(lakeside);
  await s.open(operator, '#/console');
  await operator.locator('#gateway-partner-1').selectOption(String(lakeside.id));
  await operator.locator('#gateway-rate-a-1').fill('2');
  await operator.locator('#gateway-rate-b-1').fill('1');
  await operator.locator('#gateway-limit-a-1').fill('100.00');
  await operator.locator('#gateway-limit-b-1').fill('50.00');
  await operator.locator('#gateway-propose-send-1').click();
  await s.expectDialogSays(operator, 'Propose a gateway from Greenvale to Lakeside: 2 GVH units for 1 LKS units, Greenvale lets 100.00 GVH be owed to it, Lakeside 50.00 LKS');
  await s.sign(operator);
  await s.outcome(operator, '#gateway-propose-1');
  const proposed = (await s.api(`/gateways?network=${lakeside.id}`)).gateways.find((g) => g.status === 'proposed');
  assert.ok(proposed, 'a proposed gateway');
  await s.open(operator, '#/console');
  assert.match(await operator.locator(`#gateway-proposed-1-${proposed.id}`).textContent(), /Waiting for Lakeside's operators to accept it/);
  const row = operator.locator(`#gateway-proposed-${lakeside.id}-${proposed.id}`);
  assert.match(await row.textContent(), /2 GVH units are worth 1 LKS units; Greenvale takes 0\.50% and lets 100\.00 GVH be owed to it; Lakeside takes 0\.50% and lets 50\.00 LKS be owed to it/);
  await s.screenshot(operator, 'console-gateways-desktop');
  await operator.locator(`#gateway-accept-${proposed.id}`).click();
  await s.sign(operator);
  await s.outcome(operator, `#gateways-${lakeside.id}`);
  const open = await s.api(`/gateways/${proposed.id}`);
  assert.deepEqual([open.status, open.rate_a, open.rate_b, open.a.limit, open.b.limit], ['open', 2, 1, 10000, 5000]);
});

test('the keyboard alone: from the skip link to a signed payment', async () => {
  const page = await s.newPage(390);
  await s.importKeyFile(page, 'carol');
  await s.open(page, '#/wallet');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  const focusOn = async (id) => {
    for (let i = 0; i < 80; i++) {
      if (await page.evaluate(() => document.activeElement?.id) === id) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`#${id} cannot be reached with Tab`);
  };
  await focusOn('pay-to-1');
  await page.keyboard.type('dave');
  await page.keyboard.press('Tab');
  await page.keyboard.type('1.25');
  await page.keyboard.press('Enter'); // submits the form
  await page.locator('dialog.passphrase').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'passphrase', 'the dialog takes the focus');
  await page.keyboard.type(DEMO_PASSPHRASE);
  await page.keyboard.press('Enter');
  await s.outcome(page, '#pay-1');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'flash', 'the outcome takes the focus');
  const entry = (await s.api('/networks/1/accounts/carol/history?limit=1')).entries[0];
  assert.deepEqual([entry.type, entry.amount, entry.counterparty_name], ['transfer', -125, 'dave']);

  // Escape cancels a signature: nothing is sent
  const before = s.requests.filter((r) => r.method === 'POST').length;
  await focusOn('pay-to-1');
  await page.keyboard.type('dave');
  await page.keyboard.press('Tab');
  await page.keyboard.type('1.00');
  await page.keyboard.press('Enter');
  await page.locator('dialog.passphrase').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('#pay-1 .notice.info', { hasText: 'Cancelled' }).waitFor();
  assert.equal(s.requests.filter((r) => r.method === 'POST').length, before);
});

test('the operator\'s console: a dispute split 60/40, the policy changed, a gateway frozen and thawed', async () => {
  const bob = (await s.api('/networks/1/accounts/bob')).address, carol = (await s.api('/networks/1/accounts/carol')).address;
  const eggs = (await s.api('/networks/1/listings?q=eggs')).listings.find((l) => l.seller === bob);
  const buyer = await s.newPage();
  await s.importKeyFile(buyer, 'carol');
  await s.open(buyer, '#/market/1');
  await buyer.locator(`#order-quantity-${eggs.id}`).fill('2');
  await buyer.locator(`#order-send-${eggs.id}`).click();
  await s.sign(buyer);
  await s.outcome(buyer, `#order-${eggs.id}`);
  const order = (await s.api(`/networks/1/orders?member=${carol}&role=buyer`)).orders.find((o) => o.listing === eggs.id && o.status === 'placed');
  assert.equal(order.amount, 2500); // 2 x 12.50
  const seller = await s.newPage();
  await s.importKeyFile(seller, 'bob');
  await s.open(seller, '#/market/1');
  await seller.locator(`#order_accept-${order.id}`).click();
  await s.sign(seller);
  await s.outcome(seller, '#orders');
  await s.open(buyer, '#/market/1');
  await buyer.locator(`#order-row-${order.id} input[name=memo]`).fill('half of them cracked');
  await buyer.locator(`#order_dispute-${order.id}`).click();
  await s.sign(buyer);
  await s.outcome(buyer, '#orders');
  assert.equal((await s.api(`/orders/${order.id}`)).status, 'disputed');
  const bobBefore = (await s.api(`/networks/1/accounts/${bob}`)).balance;

  const operator = await s.newPage();
  await s.importKeyFile(operator, 'operator');
  await s.open(operator, '#/console');
  await operator.locator('#dispute-order-1').fill(String(order.id));
  await operator.locator('#dispute-find-1').click();
  await operator.locator(`#resolve-share-${order.id}`).fill('60');
  assert.match(await operator.locator(`#resolve-${order.id}`).textContent(), /half of them cracked/);
  await operator.locator(`#resolve-send-${order.id}`).click();
  await s.expectDialogSays(operator, `Resolve order ${order.id}: 15.00 GVH to the seller, 10.00 GVH back to the buyer`);
  await s.sign(operator);
  await s.outcome(operator, `#resolve-${order.id}`);
  const resolved = await s.api(`/orders/${order.id}`);
  assert.deepEqual([resolved.status, resolved.paid], ['resolved', 1500]);
  assert.equal((await s.api(`/networks/1/accounts/${bob}`)).balance, bobBefore + 1500);

  // the policy: a lower line for new members applies at once, a higher fee is announced
  await s.open(operator, '#/console');
  await operator.locator('#policy-fee-1').fill('1.50');
  await operator.locator('#policy-line-1').fill('400.00');
  await operator.locator('#policy-send-1').click();
  await s.sign(operator);
  const said = await s.outcome(operator, '#policy-1');
  assert.match(said, /^Announced: /);
  const network = await s.api('/networks/1');
  assert.deepEqual([network.policy.default_credit_limit, network.policy.fee_bps, network.announced.policy.fee_bps], [40000, 100, 150]);
  assert.match(await operator.locator('#policy-1 .notice.info').textContent(), /^Announced, in force from .*: base fee 1\.50%/);

  // every rule: the editor starts from what is announced, so a change of two other
  // rules keeps the fee's announcement (an update that left it out would withdraw it)
  await s.open(operator, '#/console');
  await operator.locator('#policy-all-1 summary').click();
  assert.equal(await operator.locator('#policy-all-1-fee_bps').inputValue(), '150');
  await operator.locator('#policy-all-1-reputation-review_weight').fill('150');
  await operator.locator('#policy-all-1-max_members').fill('5000');
  await operator.locator('#policy-all-send-1').click();
  await s.expectDialogSays(operator, "Change Greenvale's policy: max_members 100000 → 5000, reputation.review_weight 100 → 150");
  await s.sign(operator);
  await s.outcome(operator, '#policy-all-form-1');
  const edited = await s.api('/networks/1');
  assert.deepEqual([edited.policy.max_members, edited.policy.reputation.review_weight, edited.policy.fee_bps, edited.announced.policy?.fee_bps,
    edited.announced.at], [5000, 150, 100, 150, network.announced.at]);

  // Greenvale's side of gateway 1: frozen, then thawed
  for (const frozen of [true, false]) {
    await s.open(operator, '#/console');
    await operator.locator('#gateway-freeze-1').click();
    await s.sign(operator);
    await s.outcome(operator, '#gateway-side-1');
    assert.equal((await s.api('/gateways/1')).a.frozen, frozen);
  }
  await s.screenshot(operator, 'console-operations-desktop');
});

test('the node serves the app with its headers of defence, and nothing outside it', async () => {
  const index = await fetch(s.base + '/');
  assert.equal(index.status, 200);
  const policy = index.headers.get('content-security-policy');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.doesNotMatch(policy, /unsafe-inline/);
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
  const html = await index.text();
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)[1];
  const hash = Buffer.from(sodium.crypto_hash_sha256(map)).toString('base64');
  assert.ok(policy.includes(`'sha256-${hash}'`), 'the import map is allowed by its hash');
  assert.equal((html.match(/<script(?![^>]*(type="importmap"|src=))/g) ?? []).length, 0, 'no other inline script');

  const etag = index.headers.get('etag');
  const again = await fetch(s.base + '/', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const sodiumFile = await fetch(s.base + '/vendor/libsodium-wrappers-sumo.mjs');
  assert.equal(sodiumFile.status, 200);
  assert.match(sodiumFile.headers.get('content-type'), /^text\/javascript/);
  for (const path of ['/package.json', '/node_modules/uplot/package.json', '/test/browser.test.js', '/js/../package.json',
    '/%2e%2e/Makefile', '/vendor/../../Makefile', '/js/missing.js'])
    assert.equal((await fetch(s.base + path)).status, 404, path);
  assert.equal((await fetch(s.base + '/', { method: 'POST' })).status, 405);
  assert.equal((await fetch(s.base + '/v1/nothing')).status, 404);
  assert.equal((await fetch(s.base + '/v1/status')).status, 200);
});
