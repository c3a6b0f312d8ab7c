// browser_harness.js: what the browser tests share. A Session starts a real tallyd
// (the test build, build/test/tallyd, or $TALLYD) with the demo networks in a fresh
// data directory (a development chain when asked: its clock is moved with POST
// /v1/dev/advance) and Debian's Chromium through playwright-core, and records every
// request any page makes and every alert a page opens. Its helpers drive the pages
// as a member would: import a key file of the demo's wallet, sign in the passphrase
// dialog, wait for an action's outcome, take screenshots under build/screenshots/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TALLYD = process.env.TALLYD ?? join(ROOT, 'build/test/tallyd');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'build/screenshots');
export const DEMO_PASSPHRASE = 'demo-passphrase';

export class Session {
  constructor({ dev = false } = {}) {
    this.dev = dev;
    this.node = null;
    this.base = null;
    this.data = null;
    this.browser = null;
    this.requests = []; // every request of every page: {url, method, body}
    this.dialogs = []; // alert/confirm/prompt opened by a page (none should be)
    this.contexts = []; // the browser contexts of the test running
    this.extraBrowsers = []; // browsers with other flags (a fake camera)
  }

  async start() {
    assert.ok(existsSync(TALLYD), `${TALLYD} is not built (make test builds it)`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (scripts/install-deps.sh installs Debian's chromium)`);
    this.data = mkdtempSync(join(tmpdir(), 'tally-web-'));
    const portFile = join(this.data, 'port');
    const args = ['--data', join(this.data, 'chain'), '--listen', '127.0.0.1:0', '--port-file', portFile, '--demo', '--quiet'];
    if (this.dev) args.push('--dev');
    this.node = spawn(TALLYD, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tallyd did not make the demo in 60 s:\n${out}`)), 60000);
      this.node.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('is ready')) { clearTimeout(timer); resolve(); }
      });
      this.node.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tallyd exited (${code}):\n${out}`)); });
    });
    this.base = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }

  async stop() {
    for (const browser of this.extraBrowsers) await browser.close();
    await this.browser?.close();
    if (this.node && this.node.exitCode === null) {
      const exited = new Promise((resolve) => this.node.once('exit', resolve));
      this.node.kill('SIGTERM');
      await exited;
    }
    if (this.data) rmSync(this.data, { recursive: true, force: true });
  }

  keyFile(name) {
    return join(this.data, 'chain/wallet/keys', `${name}.key`);
  }

  async api(path, options = undefined) {
    const response = await fetch(`${this.base}/v1${path}`, options);
    assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
    return response.json();
  }

  /** Moves a dev chain's clock forward (the next block is that much later). */
  async advance(seconds) {
    return this.api(`/dev/advance?seconds=${seconds}`, { method: 'POST' });
  }

  async newPage(width = 1280, browser = this.browser) {
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('request', (r) => this.requests.push({ url: r.url(), method: r.method(), body: r.postData() ?? '' }));
    page.on('dialog', (d) => { this.dialogs.push(d.message()); d.dismiss(); });
    page.on('pageerror', (e) => { throw e; });
    await page.goto(this.base + '/');
    await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
    return page;
  }

  /**
   * A page whose camera films videoFile (a Y4M file, looped): Chromium's fake capture
   * device, with the camera permission granted, in a browser of its own (closed at
   * stop()).
   */
  async newCameraPage(videoFile, width = 390) {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${videoFile}`],
    });
    this.extraBrowsers.push(browser);
    const page = await this.newPage(width, browser);
    await page.context().grantPermissions(['camera'], { origin: this.base });
    return page;
  }

  /** Closes the pages of a test (each holds libsodium and its Argon2 memory). */
  async closePages() {
    const contexts = this.contexts.splice(0);
    await Promise.all(contexts.map((c) => c.close()));
  }

  /** Fills the passphrase dialog that every signature opens, and signs. */
  async sign(page, passphrase = DEMO_PASSPHRASE) {
    await page.locator('dialog.passphrase #passphrase').fill(passphrase);
    await page.keyboard.press('Enter');
  }

  async importKeyFile(page, name) {
    await page.goto(this.base + '/#/wallet/keys');
    await page.locator('#key-file').setInputFiles(this.keyFile(name));
    await page.locator('#key-import button[type=submit]').click();
    await page.waitForSelector('#my-address');
  }

  /** Shows view (a hash) afresh: a page already at that hash would not render again. */
  async open(page, hash) {
    await page.goto(`${this.base}/${hash}`);
    await page.reload();
    await page.waitForSelector('body[data-ready=true]', { timeout: 20000 });
  }

  async screenshot(page, name) {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** Waits for an action's outcome: the message at the top of the page it leads to,
   * or its form's error, which fails the test with its sentence. */
  async outcome(page, form) {
    const done = page.locator(`#flash, ${form} .outcome .notice.error`);
    try {
      await done.first().waitFor({ timeout: 30000 });
    } catch {
      await this.screenshot(page, 'failure');
      throw new Error(`${form}: no outcome in 30 s (build/screenshots/failure.png): ${await page.locator('main').textContent()}`);
    }
    const text = await done.first().textContent();
    assert.equal(await page.locator('#flash').count(), 1, `${form}: ${text}`);
    return text;
  }

  async expectDialogSays(page, text) {
    const what = page.locator('dialog.passphrase .what');
    await what.waitFor();
    assert.equal(await what.textContent(), text);
  }
}
