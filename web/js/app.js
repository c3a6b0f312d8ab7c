// app.js: the web app's entry. It loads libsodium, then shows the view the URL's hash
// names (#/wallet, #/market, #/dashboard, #/console), each a module under views/ that
// renders into <main>. The views share the selected key (keys.js) and the node's API
// (api.js); everything they show is built with dom.js, as text.
import { loadSodium } from './sodium.js';
import { get } from './api.js';
import { notice, replace, takeFlash } from './dom.js';
import { renderWallet } from './views/wallet.js';
import { renderConsole } from './views/console.js';
import { renderDashboard } from './views/dashboard.js';
import { renderMarket } from './views/market.js';
import { renderPayRequest } from './views/requests.js';

const views = {
  wallet: renderWallet,
  console: renderConsole,
  dashboard: renderDashboard,
  market: renderMarket,
  pay: renderPayRequest,
};

let sodium = null;

// Each show() renders into a detached element and puts it on screen only if no later
// show() began meanwhile: a slow render (the wallet waits for the node) must not
// overwrite the view the member went to next.
let generation = 0;

async function show() {
  const main = document.getElementById('main');
  const mine = ++generation;
  const [, name = 'wallet', ...rest] = (location.hash || '#/wallet').split('/');
  const render = views[name] ?? views.wallet;
  for (const link of document.querySelectorAll('header nav a'))
    link.setAttribute('aria-current', link.getAttribute('href') === `#/${name}` ? 'page' : 'false');
  const view = document.createElement('div');
  try {
    await render(view, { sodium, args: rest, refresh: show });
  } catch (e) {
    replace(view, notice('error', `Could not show this page: ${e.message}`));
  }
  if (mine !== generation) return;
  main.replaceChildren(...view.childNodes);
  const flash = takeFlash();
  if (flash) {
    const message = notice('ok', flash);
    message.id = 'flash';
    message.tabIndex = -1;
    main.prepend(message);
    message.focus();
  }
}

async function showStatus() {
  const footer = document.getElementById('node-status');
  try {
    const status = await get('/status');
    replace(footer, `Chain ${status.chain_id.slice(0, 12)}… at height ${status.height}${status.rules?.dev_chain ? ' (development chain)' : ''}`);
  } catch (e) {
    replace(footer, `Node: ${e.message}`);
  }
}

async function start() {
  sodium = await loadSodium();
  window.addEventListener('hashchange', show);
  await show();
  await showStatus();
  document.body.dataset.ready = 'true'; // for the browser tests: the first view is on screen
}

start().catch((e) => {
  replace(document.getElementById('main'), notice('error', `The app could not start: ${e.message}`));
});
