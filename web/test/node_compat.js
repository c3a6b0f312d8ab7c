// node_compat.js: imported first by every test file. libsodium's ESM build needs
// globalThis.crypto (the Web Crypto API), global in browsers and in Node.js 19+;
// Debian 12's Node.js is 18, where it is node:crypto's webcrypto.
import { webcrypto } from 'node:crypto';

if (globalThis.crypto === undefined) globalThis.crypto = webcrypto;
