// Reading QR codes (web/js/qrscan.js): what a code means to the wallet, and that
// npm's jsQR reads back exactly what npm's qrcode-generator drew (the two libraries
// the page uses to show and to scan a request's code), at the sizes a phone sees.
import './node_compat.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { codeMeaning } from '../js/qrscan.js';
import { codePixels } from './qr_pixels.js';

const jsQR = createRequire(import.meta.url)('jsqr');
const ADDRESS = 'tly1lh66wy6vc5zd3sd6fsgqvzeysyvafcaajyunmzozzlzuelw7u43iov3ilu';

test('what a code means: a request link of any node, an address, or nothing', () => {
  assert.deepEqual(codeMeaning('http://127.0.0.1:8080/#/pay/17'), { request: 17 });
  assert.deepEqual(codeMeaning('  https://tally.example.org/#/pay/4294967295 '), { request: 4294967295 });
  assert.deepEqual(codeMeaning(ADDRESS), { address: ADDRESS });
  assert.deepEqual(codeMeaning(`http://127.0.0.1:8080/#/console/admit/3/${ADDRESS}`), { admit: { network: 3, address: ADDRESS } });
  for (const text of [`http://x/#/console/admit/0/${ADDRESS}`, `http://x/#/console/admit/3/${ADDRESS}x`, 'http://x/#/console/admit/3/tly1abc'])
    assert.equal(codeMeaning(text), null, text);
  for (const text of ['http://x/#/pay/0', 'http://x/#/pay/07', 'http://x/#/pay/1/2', 'http://x/#/pay/', 'javascript:alert(1)//#/pay/1',
    'file:///#/pay/3', 'ftp://x/#/pay/3', 'http://x/#/wallet', ADDRESS.toUpperCase(), ADDRESS.slice(0, -1), 'tly1' + '1'.repeat(58), '', null])
    assert.equal(codeMeaning(text), null, String(text));
});

test('jsQR reads what qrcode-generator drew: request links and addresses, from 2 to 8 pixels a module', () => {
  for (const text of ['http://127.0.0.1:41234/#/pay/3', 'https://greenvale.example.coop/#/pay/123456', ADDRESS]) {
    for (const scale of [2, 4, 8]) {
      const { pixels, size } = codePixels(text, scale);
      const read = jsQR(pixels, size, size);
      assert.equal(read?.data, text, `${text} at ${scale}`);
    }
  }
  // a blank image holds no code
  assert.equal(jsQR(new Uint8ClampedArray(64 * 64 * 4).fill(255), 64, 64), null);
});
