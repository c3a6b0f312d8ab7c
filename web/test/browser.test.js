// The web app in a real browser: Debian's Chromium, headless, driven by npm's
// playwright-core, against a real tallyd (the test build, build/test/tallyd) with the
// demo networks in a fresh data directory. One story, as a member and an operator
// live it:
//   a new member makes a key in the browser; the operator imports its key file from
//   the demo's wallet and admits the member in the console; the member pays bob
//   12.50 GVH with a memo that is HTML; both see it in their history (the memo as
//   text); the member downloads a CSV statement with the right rows.
// Every request the pages make is recorded: none carries a seed, a secret key or a
// passphrase. Screenshots of each page at desktop and phone width go to
// build/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadSodium } from '../js/sodium.js';
import { unsealKey } from '../js/keyfile.js';
import { toHex } from '../js/encoding.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TALLYD = process.env.TALLYD ?? join(ROOT, 'build/test/tallyd');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'build/screenshots');
const DEMO_PASSPHRASE = 'demo-passphrase';
const MEMBER_PASSPHRASE = 'zoe keeps bees';
const HOSTILE_MEMO = '<img src=x onerror=alert(1)>';

const sodium = await loadSodium();
let node = null, base = null, data = null, browser = null;
const requests = []; // every request of every page: {url, method, body}
const dialogs = []; // alert/confirm/prompt opened by a page (none should be)

async function startNode() {
  data = mkdtempSync(join(tmpdir(), 'tally-web-'));
  const portFile = join(data, 'port');
  node = spawn(TALLYD, ['--data', join(data, 'chain'), '--listen', '127.0.0.1:0', '--port-file', portFile, '--demo', '--quiet'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tallyd did not make the demo in 60 s:\n${out}`)), 60000);
    node.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('is ready')) { clearTimeout(timer); resolve(); }
    });
    node.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tallyd exited (${code}):\n${out}`)); });
  });
  base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
}

async function api(path) {
  const response = await fetch(`${base}/v1${path}`);
  assert.ok(response.ok, `${path}: ${response.status}`);
  return response.json();
}

async function newPage(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() ?? '' }));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  page.on('pageerror', (e) => { throw e; });
  await page.goto(base + '/');
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  return page;
}

/** Fills the passphrase dialog that every signature opens, and signs. */
async function sign(page, passphrase) {
  await page.locator('dialog.passphrase #passphrase').fill(passphrase);
  await page.keyboard.press('Enter');
}

async function importKeyFile(page, name) {
  await page.goto(base + '/#/wallet/keys');
  await page.locator('#key-file').setInputFiles(join(data, 'chain/wallet/keys', `${name}.key`));
  await page.locator('#key-import button[type=submit]').click();
  await page.waitForSelector('#my-address');
}

/** Shows view (a hash) afresh: a page already at that hash would not render again. */
async function open(page, hash) {
  await page.goto(`${base}/${hash}`);
  await page.reload();
  await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
}

async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

before(async () => {
  assert.ok(existsSync(TALLYD), `${TALLYD} is not built (make test builds it)`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/install-deps.sh installs Debian's chromium)`);
  await startNode();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  if (node && node.exitCode === null) {
    node.kill('SIGTERM');
    await new Promise((resolve) => node.once('exit', resolve));
  }
  if (data) rmSync(data, { recursive: true, force: true });
});

test('a new member makes a key, is admitted in the console, pays bob and gets a statement', async () => {
  const bob = (await api('/networks/1/accounts/bob')).address;
  const bobBefore = (await api(`/networks/1/accounts/${bob}`)).balance;

  // the member: a key made in the browser
  const member = await newPage();
  await screenshot(member, 'wallet-new-desktop');
  await member.locator('#key-name').fill('zoe');
  await member.locator('#key-passphrase').fill(MEMBER_PASSPHRASE);
  await member.locator('#key-passphrase-again').fill(MEMBER_PASSPHRASE);
  await member.locator('#key-create').click();
  const address = (await member.locator('#my-address').textContent()).trim();
  assert.match(address, /^tly1[a-z2-7]{58}$/);
  assert.equal((await api(`/accounts/${address}`)).memberships.length, 0);

  // the operator: its key file from the demo's wallet, then the console
  const operator = await newPage();
  await importKeyFile(operator, 'operator');
  await operator.goto(base + '/#/console');
  await operator.locator('#admit-address-1').fill(address);
  await operator.locator('#admit-send-1').click();
  await sign(operator, DEMO_PASSPHRASE);
  await outcome(operator, '#admit-1');
  await screenshot(operator, 'console-desktop');
  const admitted = (await api(`/networks/1/accounts/${address}`));
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
  await expectDialogSays(member, 'Pay 12.50 GVH to bob (fees at most 0.20 GVH)');
  await sign(member, MEMBER_PASSPHRASE);
  await outcome(member, '#pay-1');

  // what the chain says: bob got 12.50; the member paid it and its fees on credit
  const after = await api(`/networks/1/accounts/${address}`);
  const history = (await api(`/networks/1/accounts/${address}/history?limit=500`)).entries;
  const payment = history.find((e) => e.type === 'transfer');
  assert.ok(payment, 'the payment is in the member\'s history');
  assert.equal(payment.amount, -1250);
  assert.equal(payment.fee, 20); // 1% network fee (0.13) and 0.5% risk fee on credit (0.07), each rounded up
  assert.equal(payment.memo, HOSTILE_MEMO);
  assert.equal(after.balance, -1270);
  assert.equal((await api(`/networks/1/accounts/${bob}`)).balance, bobBefore + 1250);

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
  await screenshot(member, 'wallet-desktop');

  // bob's page sees it too, from the member's address
  const bobPage = await newPage();
  await importKeyFile(bobPage, 'bob');
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
  for (const file of [stored[0], JSON.parse(readFileSync(join(data, 'chain/wallet/keys/operator.key'), 'utf8'))]) {
    const pair = unsealKey(sodium, file, file === stored[0] ? MEMBER_PASSPHRASE : DEMO_PASSPHRASE);
    const seed = toHex(pair.privateKey.subarray(0, 32));
    secrets.push(seed, toHex(pair.privateKey), Buffer.from(pair.privateKey.subarray(0, 32)).toString('base64'));
  }
  assert.ok(requests.length > 20, `requests were recorded (${requests.length})`);
  const posts = requests.filter((r) => r.method === 'POST');
  assert.equal(posts.length, 2, 'two transactions were sent: the admission and the payment');
  for (const r of requests)
    for (const secret of secrets)
      assert.ok(!r.url.includes(secret) && !r.body.includes(secret), `a secret left the browser in ${r.method} ${r.url}`);
  assert.deepEqual(dialogs, []);

  // the other pages, and every page at phone width
  for (const view of ['market', 'dashboard']) {
    await member.goto(`${base}/#/${view}`);
    await member.waitForSelector(view === 'market' ? '.listing' : '#figures');
    await screenshot(member, `${view}-desktop`);
  }
  const phone = await newPage(390);
  await screenshot(phone, 'wallet-new-phone');
  await importKeyFile(phone, 'alice');
  await phone.waitForSelector('#history-1 table');
  await screenshot(phone, 'wallet-phone');
  for (const view of ['market', 'dashboard', 'console']) {
    await phone.goto(`${base}/#/${view}`);
    await phone.waitForTimeout(500);
    await screenshot(phone, `${view}-phone`);
  }
  // at 390 px nothing is wider than the screen (the tables scroll in their box)
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 390, `the page is ${overflow} px wide at 390`);
});

/** Waits for an action's outcome: the message at the top of the page it leads to,
 * or its form's error, which fails the test with its sentence. */
async function outcome(page, form) {
  const done = page.locator(`#flash, ${form} .outcome .notice.error`);
  try {
    await done.first().waitFor({ timeout: 30000 });
  } catch (e) {
    await screenshot(page, 'failure');
    throw new Error(`${form}: no outcome in 30 s (build/screenshots/failure.png): ${await page.locator('main').textContent()}`);
  }
  const text = await done.first().textContent();
  assert.equal(await page.locator('#flash').count(), 1, `${form}: ${text}`);
  return text;
}

async function expectDialogSays(page, text) {
  const what = page.locator('dialog.passphrase .what');
  await what.waitFor();
  assert.equal(await what.textContent(), text);
}

test('a payment request made in one browser is paid from its QR code\'s link in another', async () => {
  const alice = (await api('/networks/1/accounts/alice')).address, bob = (await api('/networks/1/accounts/bob')).address;
  const aliceBefore = (await api(`/networks/1/accounts/${alice}`)).balance;
  const bobBefore = (await api(`/networks/1/accounts/${bob}`)).balance;

  const payee = await newPage();
  await importKeyFile(payee, 'bob');
  await payee.locator('#request-payer-1').fill('alice');
  await payee.locator('#request-amount-1').fill('3.20');
  await payee.locator('#request-memo-1').fill('half a dozen eggs');
  await payee.locator('#request-send-1').click();
  await expectDialogSays(payee, 'Ask alice for 3.20 GVH');
  await sign(payee, DEMO_PASSPHRASE);
  const share = payee.locator('#request-1 .request-share');
  await share.waitFor({ timeout: 30000 });
  const link = await share.locator('svg.qr').getAttribute('data-text');
  assert.match(link, new RegExp(`^${base}/#/pay/\\d+$`));
  assert.equal(await share.locator('a.request-link').getAttribute('href'), link);
  assert.ok(await share.locator('svg.qr path').getAttribute('d'), 'the QR code has modules');
  const id = Number(link.split('/').pop());
  const request = await api(`/requests/${id}`);
  assert.deepEqual([request.payer, request.payee, request.amount, request.memo, request.status], [alice, bob, 320, 'half a dozen eggs', 'open']);
  await screenshot(payee, 'request-made-desktop');

  // another browser, alice's: the link from the code
  const payer = await newPage(390);
  await importKeyFile(payer, 'alice');
  await payer.goto(link);
  await payer.waitForSelector('#request-pay-send');
  assert.equal(await payer.locator('#request-amount').textContent(), '3.20 GVH');
  await screenshot(payer, 'request-pay-phone');
  await payer.locator('#request-pay-send').click();
  await expectDialogSays(payer, `Pay request ${id}: 3.20 GVH to bob (fees at most 0.06 GVH)`);
  await sign(payer, DEMO_PASSPHRASE);
  await outcome(payer, '#request-pay');
  assert.equal(await payer.locator('#request-status').textContent(), 'paid');
  assert.equal((await api(`/requests/${id}`)).status, 'paid');
  // alice has a positive balance: no risk fee, the network's 1% of 3.20 rounded up
  assert.equal((await api(`/networks/1/accounts/${alice}`)).balance, aliceBefore - 320 - 4);
  assert.equal((await api(`/networks/1/accounts/${bob}`)).balance, bobBefore + 320);
  assert.deepEqual(dialogs, []);
});

test('a marketplace order from the listing to both reviews', async () => {
  const carol = (await api('/networks/1/accounts/carol')).address, bob = (await api('/networks/1/accounts/bob')).address;
  const bobBefore = (await api(`/networks/1/accounts/${bob}`)).balance;

  // the seller publishes an offer
  const seller = await newPage();
  await importKeyFile(seller, 'bob');
  await open(seller, '#/market/1');
  await seller.locator('#publish-title').fill('Honey, a jar');
  await seller.locator('#publish-price').fill('6.00');
  await seller.locator('#publish-1 input[name=quantity]').fill('5');
  await seller.locator('#publish-send').click();
  await sign(seller, DEMO_PASSPHRASE);
  await outcome(seller, '#publish-1');
  const listing = (await api('/networks/1/listings?q=honey')).listings.find((l) => l.title === 'Honey, a jar');
  assert.ok(listing, 'the listing is found by its text');
  assert.deepEqual([listing.seller, listing.price, listing.quantity, listing.kind], [bob, 600, 5, 'offer']);

  // the buyer finds it and orders two jars: 12.00 GVH held
  const buyer = await newPage();
  await importKeyFile(buyer, 'carol');
  await open(buyer, '#/market/1');
  await buyer.locator('#market-q').fill('honey');
  await buyer.locator('#market-search').click();
  await buyer.locator(`#listing-${listing.id} #order-quantity-${listing.id}`).fill('2');
  await buyer.locator(`#order-send-${listing.id}`).click();
  await expectDialogSays(buyer, 'Order 2 × “Honey, a jar” for 12.00 GVH (fees at most 0.18 GVH)');
  await sign(buyer, DEMO_PASSPHRASE);
  await outcome(buyer, `#order-${listing.id}`);
  const order = (await api(`/networks/1/orders?member=${carol}&role=buyer`)).orders.find((o) => o.listing === listing.id);
  assert.deepEqual([order.status, order.amount, order.quantity], ['placed', 1200, 2]);
  assert.equal(await buyer.locator(`#order-status-${order.id}`).textContent(), 'placed');
  await screenshot(buyer, 'market-order-desktop');

  // seller accepts; buyer confirms delivery: bob is paid 12.00
  const step = async (page, button, passphrase = DEMO_PASSPHRASE) => {
    await open(page, '#/market/1');
    await page.locator(button).click();
    await sign(page, passphrase);
    await outcome(page, '#orders');
  };
  await step(seller, `#order_accept-${order.id}`);
  assert.equal((await api(`/orders/${order.id}`)).status, 'accepted');
  await step(buyer, `#order_confirm-${order.id}`);
  const done = await api(`/orders/${order.id}`);
  assert.deepEqual([done.status, done.paid], ['completed', 1200]);
  assert.equal((await api(`/networks/1/accounts/${bob}`)).balance, bobBefore + 1200);

  // each side reviews the other, once
  await open(buyer, '#/market/1');
  await buyer.locator(`#review-rating-${order.id}`).selectOption('5');
  await buyer.locator(`#review-text-${order.id}`).fill('Lovely honey');
  await buyer.locator(`#review-send-${order.id}`).click();
  await sign(buyer, DEMO_PASSPHRASE);
  await outcome(buyer, '#orders');
  assert.equal(await buyer.locator(`#review-${order.id}`).count(), 0, 'no second review is offered');
  await open(seller, '#/market/1');
  await seller.locator(`#review-rating-${order.id}`).selectOption('4');
  await seller.locator(`#review-text-${order.id}`).fill('Paid at once');
  await seller.locator(`#review-send-${order.id}`).click();
  await sign(seller, DEMO_PASSPHRASE);
  await outcome(seller, '#orders');
  const reviewed = await api(`/orders/${order.id}`);
  assert.deepEqual([reviewed.buyer_rating, reviewed.seller_rating], [5, 4]);
  const bobReviews = (await api(`/networks/1/accounts/${bob}/reviews`)).reviews;
  assert.ok(bobReviews.some((r) => r.order === order.id && r.rating === 5 && r.text === 'Lovely honey'), JSON.stringify(bobReviews));
  await screenshot(seller, 'market-reviewed-desktop');
  assert.match(await seller.locator(`#listing-${listing.id} .price`).textContent(), / 3 left .* ★ 5\.00 \(1\)/);
  assert.deepEqual(dialogs, []);
});

test('a payment over two gateways to a member of another network, with what the payee gets', async () => {
  const alice = (await api('/networks/1/accounts/alice')).address, frank = (await api('/networks/3/accounts/frank')).address;
  const priced = await api(`/paths?from=alice@1&to=frank@3&amount=1000&path=1,2`);
  const path = priced.paths[0];
  assert.deepEqual(path.gateways, [1, 2]);
  const aliceBefore = (await api(`/networks/1/accounts/${alice}`)).balance;
  const frankBefore = (await api(`/networks/3/accounts/${frank}`)).balance;
  const hilltop = await api('/networks/3');

  const page = await newPage();
  await importKeyFile(page, 'alice');
  await page.locator('#pay-to-1').fill('frank@Hilltop');
  await page.locator('#pay-amount-1').fill('10.00');
  await page.locator('#pay-send-1').click();
  const choice = page.locator('#path-1-1-2');
  await choice.waitFor({ timeout: 20000 });
  const gets = `${(path.received / 10 ** hilltop.decimals).toFixed(hilltop.decimals)} HLT`;
  assert.match(await page.locator('label.choice', { has: choice }).textContent(), new RegExp(`frank gets ${gets.replace('.', '\\.')} via Riverside \\(2 hops`));
  await choice.check();
  await screenshot(page, 'pay-across-desktop');
  await page.locator('#paths-send-1').click();
  await sign(page, DEMO_PASSPHRASE);
  await outcome(page, '#paths-1');
  assert.equal((await api(`/networks/3/accounts/${frank}`)).balance, frankBefore + path.received);
  assert.equal((await api(`/networks/1/accounts/${alice}`)).balance, aliceBefore - 1000 - path.fee);
  const entry = (await api(`/networks/1/accounts/${alice}/history?limit=1`)).entries[0];
  assert.deepEqual([entry.type, entry.amount], ['transfer_cross', -1000]);
});

test('the node serves the app with its headers of defence, and nothing outside it', async () => {
  const index = await fetch(base + '/');
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
  const again = await fetch(base + '/', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const sodiumFile = await fetch(base + '/vendor/libsodium-wrappers-sumo.mjs');
  assert.equal(sodiumFile.status, 200);
  assert.match(sodiumFile.headers.get('content-type'), /^text\/javascript/);
  for (const path of ['/package.json', '/node_modules/uplot/package.json', '/test/browser.test.js', '/js/../package.json',
    '/%2e%2e/Makefile', '/vendor/../../Makefile', '/js/missing.js'])
    assert.equal((await fetch(base + path)).status, 404, path);
  assert.equal((await fetch(base + '/', { method: 'POST' })).status, 405);
  assert.equal((await fetch(base + '/v1/nothing')).status, 404);
  assert.equal((await fetch(base + '/v1/status')).status, 200);
});
